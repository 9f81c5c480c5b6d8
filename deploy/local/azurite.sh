#!/usr/bin/env bash
# Azurite (the Azure Storage emulator) for local runs and tests, from this folder's
# package.json (npm, pinned by package-lock.json).
#
#   azurite.sh start DIR   install if needed, start Azurite in the background with its data in
#                          DIR; PID in DIR/azurite.pid, log in DIR/azurite.log; returns once the
#                          table port accepts connections. Does nothing if the Azurite of DIR's
#                          pid file is already running.
#   azurite.sh stop DIR    stop the Azurite whose PID is in DIR/azurite.pid and wait for it.
#
# Ports are fixed, as `UseDevelopmentStorage=true` expects: blob 10000, queue 10001,
# table 10002, on 127.0.0.1. If something already listens there, `start` fails, unless
# AZURITE_REUSE=1: then an Azurite found there is used as it is (and `stop` leaves it alone).
set -euo pipefail

readonly HOST=127.0.0.1
readonly PORTS=(10000 10001 10002) # blob queue table
readonly TABLE_PORT=10002
readonly START_TIMEOUT_S=30
readonly STOP_TIMEOUT_S=15
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

say() { echo "azurite: $*"; }
die() { echo "azurite: error: $*" >&2; exit 1; }

usage() {
  echo "usage: $0 start DIR | stop DIR" >&2
  exit 2
}

# True while the process lives (a zombie counts as gone).
alive() {
  local stat
  [[ -n ${1:-} ]] && stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  [[ ${stat##*) } != Z* ]]
}

# True if the process is an Azurite (so a PID reused by another program is not taken for it).
is_azurite() {
  alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q azurite
}

port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

# The Server header of whatever answers on the table port, e.g. "Azurite-Table/3.37.0".
table_server() {
  curl -s -m 3 -o /dev/null -D - "http://$HOST:$TABLE_PORT/" 2>/dev/null |
    tr -d '\r' | sed -n 's/^[Ss]erver: *//p' | head -n 1
}

pid_of() {
  local pid=""
  [[ -f $1/azurite.pid ]] && read -r pid <"$1/azurite.pid" || true
  echo "$pid"
}

install_if_needed() {
  local want have=""
  command -v node >/dev/null && command -v npm >/dev/null ||
    die "Node.js and npm are needed (node 20 works; apt-get install nodejs npm)"
  want=$(node -p "require('$here/package.json').dependencies.azurite")
  if [[ -x $here/node_modules/.bin/azurite ]]; then
    have=$(node -p "require('$here/node_modules/azurite/package.json').version" 2>/dev/null || true)
  fi
  [[ $have == "$want" ]] && return 0
  # One install at a time, if two starts race (the lock is on a read-only descriptor).
  exec 9<"$here/package-lock.json"
  flock 9
  have=$(node -p "require('$here/node_modules/azurite/package.json').version" 2>/dev/null || true)
  if [[ $have != "$want" ]]; then
    say "installing azurite $want with npm ci in $here (about 30 s)"
    local log
    log=$(mktemp)
    if ! (cd "$here" && npm ci --no-audit --no-fund) >"$log" 2>&1; then
      cat "$log" >&2
      rm -f "$log"
      die "npm ci failed in $here"
    fi
    rm -f "$log"
  fi
  exec 9<&-
}

start() {
  local dir=$1 pid server p
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)

  pid=$(pid_of "$dir")
  if [[ -n $pid ]]; then
    if is_azurite "$pid"; then
      wait_ready "$dir" "$pid"
      say "already running (pid $pid, data $dir)"
      return 0
    fi
    rm -f "$dir/azurite.pid" # stale
  fi

  local busy=()
  for p in "${PORTS[@]}"; do
    port_open "$p" && busy+=("$p")
  done
  if ((${#busy[@]})); then
    server=$(table_server)
    if [[ ${AZURITE_REUSE:-} == 1 ]]; then
      [[ $server == Azurite-Table/* ]] ||
        die "AZURITE_REUSE=1, but what listens on $HOST:$TABLE_PORT is not an Azurite table service (Server: '${server:-none}')"
      say "reusing the Azurite already running on $HOST (${server}); it is not ours to stop"
      return 0
    fi
    die "port(s) ${busy[*]} on $HOST already in use (table port answers as: '${server:-nothing}').
  Another Azurite is probably running. Stop it, or set AZURITE_REUSE=1 to use it as it is."
  fi

  install_if_needed

  # setsid: the emulator gets a session of its own, so a Ctrl-C meant for the caller's
  # foreground job does not reach it; callers stop it with `stop`. Started from a script
  # (no job control) setsid does not fork, so $! is Azurite's own PID.
  setsid "$here/node_modules/.bin/azurite" \
    --blobHost "$HOST" --blobPort 10000 \
    --queueHost "$HOST" --queuePort 10001 \
    --tableHost "$HOST" --tablePort "$TABLE_PORT" \
    --location "$dir" --disableTelemetry --skipApiVersionCheck --silent \
    </dev/null >"$dir/azurite.log" 2>&1 &
  pid=$!
  echo "$pid" >"$dir/azurite.pid"
  wait_ready "$dir" "$pid"
  say "started (pid $pid, data $dir, log $dir/azurite.log) on $HOST: blob 10000, queue 10001, table $TABLE_PORT"
}

# Wait until the table port accepts connections, or fail with the log's tail.
wait_ready() {
  local dir=$1 pid=$2 deadline=$((SECONDS + START_TIMEOUT_S))
  until port_open "$TABLE_PORT"; do
    if ! alive "$pid"; then
      tail -n 30 "$dir/azurite.log" >&2 || true
      rm -f "$dir/azurite.pid"
      die "Azurite (pid $pid) exited during start; log above ($dir/azurite.log)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$dir/azurite.log" >&2 || true
      stop "$dir" >/dev/null 2>&1 || true
      die "table port $HOST:$TABLE_PORT not open after ${START_TIMEOUT_S}s; Azurite stopped; log above ($dir/azurite.log)"
    fi
    sleep 0.3
  done
}

stop() {
  local dir=$1 pid i
  pid=$(pid_of "$dir")
  if [[ -z $pid ]]; then
    say "no pid file in $dir: nothing to stop"
    return 0
  fi
  if ! is_azurite "$pid"; then
    rm -f "$dir/azurite.pid"
    say "pid $pid from $dir/azurite.pid is not running: nothing to stop"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT_S * 5; i++)); do
    alive "$pid" || break
    sleep 0.2
  done
  if alive "$pid"; then
    say "pid $pid did not exit within ${STOP_TIMEOUT_S}s of SIGTERM: killing it"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 25; i++)); do
      alive "$pid" || break
      sleep 0.2
    done
  fi
  alive "$pid" && die "pid $pid is still running"
  rm -f "$dir/azurite.pid"
  say "stopped (pid $pid)"
}

(($# == 2)) || usage
case $1 in
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) usage ;;
esac
