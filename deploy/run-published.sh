#!/usr/bin/env bash
# The cluster as the container image runs it, on this machine (no container engine needed):
#   deploy/publish.sh (dotnet publish -c Release of the silo and the api, as the Dockerfile runs
#   it), then Azurite and 2 silos + 1 api started through the published entrypoint.sh, as the
#   image's entrypoints start them. All on 127.0.0.1: the api on http://127.0.0.1:${PORT:-8080},
#   the silos' HTTP (health, metrics) on 8081/8082, silo ports 11111/11112, gateways 30000/30001.
#
#   deploy/run-published.sh [--no-publish] [--smoke] [CONFIG_FILE]
#
# --smoke: once everything is ready, checks each process's /health/ready, one chat completion
# and one stream, then stops them all with SIGTERM (api first, then each silo) and fails unless
# every one exits 0 within its drain time. Without it, runs until Ctrl-C (which does the same stop).
# Output in deploy/.published/ (programs in app/, logs in logs/, Azurite's data in azurite/).
set -euo pipefail

usage() {
  local fd=1
  ((${1:-0} == 0)) || fd=2
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&"$fd"
  exit "${1:-0}"
}
die() { echo "run-published.sh: error: $*" >&2; exit 1; }

publish=1 smoke="" config=""
while (($#)); do
  case $1 in
    -h | --help) usage 0 ;;
    --no-publish) publish="" ;;
    --smoke) smoke=1 ;;
    -*) echo "run-published.sh: unknown option $1" >&2; usage 2 ;;
    *) [[ -z $config ]] || usage 2; config=$1 ;;
  esac
  shift
done
if [[ -n $config ]]; then
  [[ -f $config ]] || die "config file not found: $config"
  config="$(cd "$(dirname "$config")" && pwd)/$(basename "$config")"
fi

readonly HOST=127.0.0.1 READY_TIMEOUT_S=90 DRAIN_LIMIT_S=45
readonly SILO_PORTS=(11111 11112) GATEWAY_PORTS=(30000 30001) SILO_HTTP_PORTS=(8081 8082)
api_port=${PORT:-8080}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
state=$here/.published # ignored by the root .gitignore
app=$state/app logs=$state/logs
cd "$root"

alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  [[ ${stat##*) } != Z* ]]
}
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }
for p in "$api_port" "${SILO_PORTS[@]}" "${GATEWAY_PORTS[@]}" "${SILO_HTTP_PORTS[@]}"; do
  port_open "$p" && die "port $p on $HOST is already in use"
done

mkdir -p "$logs"
if [[ -n $publish ]]; then
  echo "Publishing (log ${logs#"$root"/}/publish.log)"
  "$here/publish.sh" "$app" >"$logs/publish.log" 2>&1 || { tail -n 30 "$logs/publish.log" >&2; die "publish failed"; }
fi
[[ -x $app/entrypoint.sh && -f $app/silo/Cluster.Silo.dll && -f $app/api/Cluster.Api.dll ]] ||
  die "nothing published in ${app#"$root"/} (run without --no-publish)"

names=() pids=() urls=()
spawn() { # NAME READY_URL ROLE ARGS...: start through the published entrypoint, log to logs/NAME.log
  local name=$1 url=$2
  shift 2
  setsid "$app/entrypoint.sh" "$@" </dev/null >"$logs/$name.log" 2>&1 &
  names+=("$name") pids+=("$!") urls+=("$url")
  echo "  $name: pid $! (log ${logs#"$root"/}/$name.log)"
}

failures=0
stop_one() { # INDEX: SIGTERM, wait for the exit, report its code and the time it took
  local i=$1 pid=${pids[$1]} rc=0 start=$SECONDS k
  alive "$pid" || { wait "$pid" 2>/dev/null || rc=$?; echo "  ${names[i]} had already exited ($rc)"; failures=$((failures + 1)); return; }
  local t0 t1
  t0=$(date +%s%N)
  kill -TERM "$pid"
  for ((k = 0; k < DRAIN_LIMIT_S * 10; k++)); do
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then
    echo "  ${names[i]} did not exit within ${DRAIN_LIMIT_S}s of SIGTERM: killing it"
    kill -KILL "$pid"
    failures=$((failures + 1))
  fi
  wait "$pid" 2>/dev/null || rc=$?
  t1=$(date +%s%N)
  echo "  ${names[i]} (pid $pid) exited with $rc, $(((t1 - t0) / 1000000)) ms after SIGTERM"
  ((rc == 0)) || failures=$((failures + 1))
}

stopped=""
cleanup() {
  set +e
  trap '' INT TERM
  [[ -z $stopped ]] || return 0
  stopped=1
  echo "Stopping (SIGTERM: the api, then each silo)"
  local i
  for i in "${!names[@]}"; do [[ ${names[i]} == api ]] && stop_one "$i"; done
  for i in "${!names[@]}"; do [[ ${names[i]} == silo* ]] && stop_one "$i"; done
  "$root/deploy/local/azurite.sh" stop "$state/azurite"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$root/deploy/local/azurite.sh" start "$state/azurite"

common=(--Clustering:Provider=AzureTable --Storage:Provider=AzureTable)
[[ -z $config ]] || common=(--config "$config" "${common[@]}")
echo "Starting 2 silos and the api from ${app#"$root"/}"
for i in 0 1; do
  spawn "silo$((i + 1))" "http://$HOST:${SILO_HTTP_PORTS[i]}" silo "${common[@]}" \
    "--Cluster:SiloPort=${SILO_PORTS[i]}" "--Cluster:GatewayPort=${GATEWAY_PORTS[i]}" --urls "http://$HOST:${SILO_HTTP_PORTS[i]}"
done
spawn api "http://$HOST:$api_port" api "${common[@]}" --Cluster:Mode=Client --urls "http://$HOST:$api_port"

check_alive() {
  local i
  for i in "${!names[@]}"; do
    if ! alive "${pids[i]}"; then
      tail -n 40 "$logs/${names[i]}.log" >&2
      die "${names[i]} (pid ${pids[i]}) exited during start; its log is above"
    fi
  done
}

echo "Waiting for /health/ready of every process (up to ${READY_TIMEOUT_S}s)"
deadline=$((SECONDS + READY_TIMEOUT_S))
for i in "${!names[@]}"; do
  until [[ $(curl -s -o /dev/null -m 2 -w '%{http_code}' "${urls[i]}/health/ready" || true) == 200 ]]; do
    check_alive
    ((SECONDS < deadline)) || die "${names[i]} was not ready after ${READY_TIMEOUT_S}s; see ${logs#"$root"/}/${names[i]}.log"
    sleep 1
  done
  echo "  ${names[i]}: $(curl -s -m 5 "${urls[i]}/health/ready")"
done

base=http://$HOST:$api_port
if [[ -n $smoke ]]; then
  echo "Smoke test"
  reply=$(curl -s -m 30 -w '\n%{http_code}' "$base/v1/chat/completions" -H 'Content-Type: application/json' \
    -d '{"model":"echo","messages":[{"role":"user","content":"Hello from the published build"}]}')
  echo "  chat completion: ${reply//$'\n'/ -> HTTP }"
  [[ ${reply##*$'\n'} == 200 && $reply == *'You said'* ]] || failures=$((failures + 1))
  stream=$(curl -sN -m 30 "$base/v1/chat/completions" -H 'Content-Type: application/json' \
    -d '{"model":"echo","stream":true,"messages":[{"role":"user","content":"Hello"}]}')
  if [[ $stream == *'data: [DONE]'* ]]; then echo "  stream: ends with data: [DONE]"; else echo "  stream: no [DONE]: $stream"; failures=$((failures + 1)); fi
  metrics=$(curl -s -m 5 "http://$HOST:${SILO_HTTP_PORTS[0]}/metrics" | grep -c '^orleans_' || true)
  echo "  silo1 /metrics: $metrics orleans_* samples"
  ((metrics > 0)) || failures=$((failures + 1))
  cleanup
  if ((failures > 0)); then
    echo "run-published.sh: smoke test FAILED ($failures problem(s))" >&2
    exit 1
  fi
  echo "run-published.sh: smoke test passed"
  exit 0
fi

cat <<EOF

Published cluster ready: 2 silos, 1 api, Azurite (logs in ${logs#"$root"/}/).
  Base URL (OpenAI clients): $base/v1
  Silo health and metrics:   http://$HOST:${SILO_HTTP_PORTS[0]}/health/ready, http://$HOST:${SILO_HTTP_PORTS[0]}/metrics
Press Ctrl-C to stop (SIGTERM to each process; each drains and exits).
EOF
while true; do
  wait -n "${pids[@]}" || true
  check_alive
done
