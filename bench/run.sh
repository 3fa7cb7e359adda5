#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The side-by-side benchmark (issue 11): daemonkit beside the baselines
# (fork+exec, the C respawn loop, `svc > file`) and the anchors (runit, s6,
# libslack daemon, start-stop-daemon, supervisord, daemontools, tini) in one
# run, written to bench/results.md (with the targets, PASS/FAIL as ratios of
# figures of the same run) and bench/results.json. Reports, never fails a
# build; not part of CI. About 25 minutes on 2 cores. Scenario up100 (issue 14:
# `daemonkit up` of 100 services beside supervisord's `start all`, a few
# minutes) writes its own file, bench/results-up.md.
#
#   sudo ./bench/run.sh                          # install anchors, build, run
#   sudo SCENARIOS=up100 ./bench/run.sh          # only up100: results.md untouched
#   sudo DAEMONKIT_BIN=/path/to/daemonkit ./bench/run.sh   # no build
#   sudo ./bench/run.sh --reps 10 --window 5     # more arguments go to bench.py
#
# Environment: DAEMONKIT_BIN (skip the build), BUILD_DIR (default build-bench),
# ONLY (adapter keys, see `bench/bench.py --list`), SCENARIOS (default
# startstop,respawn,fp1,fp100,log,up100), OUT, JSON (default bench/results.{md,json}),
# UP_OUT (default bench/results-up.md).
# Needs root: the anchors are installed with apt-get (bench/install-anchors.sh)
# and the tools run as root as they are packaged to.
set -euo pipefail
cd "$(dirname "$0")/.."
if ((EUID != 0)); then
  echo "run.sh: run as root (sudo ./bench/run.sh)" >&2
  exit 1
fi

./bench/install-anchors.sh

build=${BUILD_DIR:-build-bench}
if [[ -z ${DAEMONKIT_BIN:-} ]]; then
  BUILD_DIR=$build BUILD_TYPE=Release BUILD_TARGETS="daemonkit_tool daemonkit_monitor" ./scripts/build.sh
  DAEMONKIT_BIN=$PWD/$build/tools/daemonkit/daemonkit
  # the commit the binary was built from (-dirty when the sources differ from it), and the last
  # commit that changed what the binary is built from
  src=(src include tools cmake CMakeLists.txt)
  commit=$(git rev-parse --short=12 HEAD)
  [[ -z $(git status --porcelain --untracked-files=no -- "${src[@]}") ]] || commit+=-dirty
  sources=$(git log -1 --format=%h -- "${src[@]}")
  [[ $commit == "$sources"* ]] || commit+=" (its sources as of $sources: later commits change nothing it is built from)"
  export DAEMONKIT_COMMIT=$commit
fi
export DAEMONKIT_BIN

mkdir -p "$build"
svc=$(realpath "$build")/svc
gcc -O2 -Wall -o "$svc" bench/svc.c

exec python3 bench/bench.py --svc "$svc" \
  --only "${ONLY:-popen,c-respawn,redirect,ssd,ssd-noretry,tini,daemon,daemon-respawn,runit,runit-wait,s6,s6-wait,daemontools,supervisord,supervisord-0,daemonkit,daemonkit-notify,daemonkit-respawn,daemonkit-run}" \
  --scenarios "${SCENARIOS:-startstop,respawn,fp1,fp100,log,up100}" \
  --out "${OUT:-bench/results.md}" --json "${JSON:-bench/results.json}" \
  --up-out "${UP_OUT:-bench/results-up.md}" "$@"
