#!/usr/bin/env bash
# A local cluster on this machine, all on 127.0.0.1:
#   Azurite (Azure Table storage for membership and grain state, data in deploy/local/.azurite/),
#   2 silos (silo ports 11111/11112, gateways 30000/30001, HTTP health/metrics 8081/8082),
#   1 api as a pure Orleans client on http://127.0.0.1:${PORT:-8080}.
# Ctrl-C stops them all. Logs: deploy/local/.azurite/logs/{build,silo1,silo2,api}.log.
#
#   deploy/local/run.sh [--no-build] [CONFIG_FILE]
#
# CONFIG_FILE (or env CLUSTER_CONFIG) is passed to every process as --config; without one
# the programs use their built-in defaults. Works from any directory.
set -euo pipefail

usage() { # EXIT_CODE: the header above, on stderr if it is an error
  local fd=1
  ((${1:-0} == 0)) || fd=2
  sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&"$fd"
  exit "${1:-0}"
}
die() { echo "run.sh: error: $*" >&2; exit 1; }

build=1
config=${CLUSTER_CONFIG:-}
while (($#)); do
  case $1 in
    -h | --help) usage 0 ;;
    --no-build) build="" ;;
    -*) echo "run.sh: unknown option $1" >&2; usage 2 ;;
    *) [[ -z ${config_arg:-} ]] || usage 2; config_arg=$1; config=$1 ;;
  esac
  shift
done
# A relative config path is the caller's, so resolve it before leaving the caller's directory.
if [[ -n $config ]]; then
  [[ -f $config ]] || die "config file not found: $config"
  config="$(cd "$(dirname "$config")" && pwd)/$(basename "$config")"
fi
unset CLUSTER_CONFIG # the processes get the file as --config, as an absolute path

port=${PORT:-8080}
[[ $port =~ ^[0-9]+$ ]] || die "PORT must be a number, not '$port'"
readonly HOST=127.0.0.1 SILO_PORTS=(11111 11112) GATEWAY_PORTS=(30000 30001) SILO_HTTP_PORTS=(8081 8082)
readonly READY_TIMEOUT_S=90

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
state=$here/.azurite # ignored by the root .gitignore
logs=$state/logs
cd "$root"
command -v dotnet >/dev/null || die "dotnet (the .NET 10 SDK) is not on PATH"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  [[ ${stat##*) } != Z* ]] # a zombie has exited
}
any_alive() {
  local pid
  for pid in "$@"; do alive "$pid" && return 0; done
  return 1
}

for p in "$port" "${SILO_PORTS[@]}" "${GATEWAY_PORTS[@]}" "${SILO_HTTP_PORTS[@]}"; do
  port_open "$p" && die "port $p on $HOST is already in use (another run.sh, silo or api?)"
done

# --- processes and their clean-up -------------------------------------------------------
names=() pids=()
spawn() { # NAME DIR CMD...: run CMD in DIR, in the background, log to $logs/NAME.log
  local name=$1 dir=$2
  shift 2
  # setsid: a Ctrl-C on the terminal reaches only this script, which then stops the
  # processes in order (api, silos, Azurite). From a script (no job control) setsid does
  # not fork, so $! is the program's own PID.
  (cd "$dir" && exec setsid "$@") </dev/null >"$logs/$name.log" 2>&1 &
  names+=("$name")
  pids+=("$!")
  echo "  $name: pid $! (log ${logs#"$root"/}/$name.log)"
}

stop_pids() { # TIMEOUT_S PID...: SIGTERM, wait, then SIGKILL what is left
  local timeout_s=$1 pid i
  shift
  (($#)) || return 0
  kill -TERM "$@" 2>/dev/null
  for ((i = 0; i < timeout_s * 5; i++)); do
    any_alive "$@" || break
    sleep 0.2
  done
  for pid in "$@"; do
    if alive "$pid"; then
      echo "  pid $pid did not stop within ${timeout_s}s: killing it"
      kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
  done
}

cleaned=""
cleanup() {
  set +e
  trap '' INT TERM
  [[ -z $cleaned ]] || return 0
  cleaned=1
  echo
  echo "Stopping the local cluster"
  local i api=() silos=()
  for i in "${!names[@]}"; do
    case ${names[i]} in
      api) api+=("${pids[i]}") ;;
      silo*) silos+=("${pids[i]}") ;;
    esac
  done
  ((${#api[@]})) && echo "  api" && stop_pids 15 "${api[@]}"
  ((${#silos[@]})) && echo "  silos" && stop_pids 30 "${silos[@]}"
  [[ -z ${azurite_started:-} ]] || "$here/azurite.sh" stop "$state"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- Azurite ------------------------------------------------------------------------------
mkdir -p "$logs"
azurite_started=1
"$here/azurite.sh" start "$state"

# --- build once -----------------------------------------------------------------------------
if [[ -n $build ]]; then
  echo "Building silo and api (Release; log ${logs#"$root"/}/build.log)"
  : >"$logs/build.log"
  for proj in silo/Cluster.Silo.csproj api/Cluster.Api.csproj; do
    if ! dotnet build "$proj" -c Release -nologo >>"$logs/build.log" 2>&1; then
      grep -E ': error ' "$logs/build.log" | sort -u | head -n 30 >&2
      die "build of $proj failed; full log: $logs/build.log"
    fi
  done
fi
silo_dir=$root/silo/bin/Release/net10.0
api_dir=$root/api/bin/Release/net10.0
[[ -f $silo_dir/Cluster.Silo.dll && -f $api_dir/Cluster.Api.dll ]] ||
  die "no build output in silo/bin/Release/net10.0 or api/bin/Release/net10.0 (run without --no-build)"

# --- silos and api --------------------------------------------------------------------------
# Each runs in its output folder, so its appsettings.json is the content root's.
common=(--Clustering:Provider=AzureTable --Storage:Provider=AzureTable)
[[ -z $config ]] || common=(--config "$config" "${common[@]}")
echo "Starting 2 silos and the api${config:+ (config $config)}"
for i in 0 1; do
  spawn "silo$((i + 1))" "$silo_dir" dotnet Cluster.Silo.dll "${common[@]}" \
    "--Cluster:SiloPort=${SILO_PORTS[i]}" "--Cluster:GatewayPort=${GATEWAY_PORTS[i]}" --urls "http://$HOST:${SILO_HTTP_PORTS[i]}"
done
# The admin key (admin API and console): CLUSTER_ADMIN_KEY, else the config's Auth:AdminKey, else
# one generated now. It reaches the api as an env: reference, never on its command line.
admin_args=()
if [[ -n ${CLUSTER_ADMIN_KEY:-} || -z $config ]] || ! grep -q '"AdminKey"' "$config"; then
  export CLUSTER_ADMIN_KEY=${CLUSTER_ADMIN_KEY:-sk-admin-$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')}
  admin_args=(--Auth:AdminKey=env:CLUSTER_ADMIN_KEY)
  admin_note="Admin key:                  $CLUSTER_ADMIN_KEY"
else
  admin_note="Admin key:                  Auth:AdminKey of $config"
fi
spawn api "$api_dir" dotnet Cluster.Api.dll "${common[@]}" "${admin_args[@]}" \
  --Cluster:Mode=Client "--Cluster:Gateways:0=${GATEWAY_PORTS[0]}" "--Cluster:Gateways:1=${GATEWAY_PORTS[1]}" \
  --urls "http://$HOST:$port"

# Fails the script (and so stops everything) if a process has exited.
check_alive() {
  local i
  for i in "${!names[@]}"; do
    if ! alive "${pids[i]}"; then
      local rc=0
      wait "${pids[i]}" 2>/dev/null || rc=$?
      echo "--- last lines of $logs/${names[i]}.log" >&2
      tail -n 40 "$logs/${names[i]}.log" >&2
      die "${names[i]} (pid ${pids[i]}) exited with status $rc"
    fi
  done
}

base=http://$HOST:$port
echo "Waiting for $base/health/ready (up to ${READY_TIMEOUT_S}s)"
deadline=$((SECONDS + READY_TIMEOUT_S))
until [[ $(curl -s -o /dev/null -m 2 -w '%{http_code}' "$base/health/ready" || true) == 200 ]]; do
  check_alive
  ((SECONDS < deadline)) || die "the api was not ready after ${READY_TIMEOUT_S}s; see the logs in $logs/"
  sleep 1
done

cat <<EOF

Local cluster ready: 2 silos, 1 api, Azurite (data in ${state#"$root"/}/, logs in ${logs#"$root"/}/).
  Base URL (OpenAI clients):  $base/v1
  Console (usage and admin):  $base/ui/   (sign in with the admin key or a tenant key)
  $admin_note
  Try:
    curl -s $base/v1/models
    curl -s $base/v1/chat/completions -H 'Content-Type: application/json' \\
      -d '{"model": "echo", "messages": [{"role": "user", "content": "Hello"}]}'
Press Ctrl-C to stop everything.
EOF

# Sleep until Ctrl-C (the trap stops everything) or until a process exits on its own.
while true; do
  wait -n "${pids[@]}" || true
  check_alive
done
