#!/usr/bin/env bash
# The README's demo: builds, starts the heartbeat daemon, shows its status and
# log lines, reloads it, stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh >/dev/null
hb=${BUILD_DIR:-build}/examples/heartbeat/heartbeat
dir=$(mktemp -d /tmp/daemonkit-demo.XXXXXX)
trap '"$hb" --pidfile "$dir/heartbeat.pid" stop >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
args=(--pidfile "$dir/heartbeat.pid" --log "$dir/heartbeat.log" --interval 1s)

run() { printf '\n$ %s\n' "$*"; "$@"; }
run "$hb" "${args[@]}" start
run "$hb" "${args[@]}" status
run cat "$dir/heartbeat.pid"
printf '\n# waiting for three heartbeats...\n'
for _ in $(seq 50); do
  (($(grep -c 'Daemon Alive' "$dir/heartbeat.log" || true) >= 3)) && break
  sleep 0.1
done
run cat "$dir/heartbeat.log"
run "$hb" "${args[@]}" start || true
run "$hb" "${args[@]}" stop
run "$hb" "${args[@]}" status || true
