#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the anchor tools bench/run.sh times beside daemonkit, if missing
# (Debian 12). Idempotent and quiet when everything is already there.
#
# Installing them must not start anything on this machine:
# - supervisor's postinst runs `invoke-rc.d supervisor start` (and, where
#   systemd is PID 1, enables and starts supervisor.service). invoke-rc.d and
#   deb-systemd-invoke both ask /usr/sbin/policy-rc.d first, so while the
#   packages are configured a policy-rc.d answering 101 ("action forbidden")
#   is put in place when there is none (and removed afterwards); an existing
#   one is left alone. The init script's boot links (or the systemd unit) are
#   disabled again when this script installed supervisor.
# - runit's postinst only writes links under /etc/runit/runsvdir/default and
#   adds the _runit-log user; it signals PID 1 only when runit is init
#   (/run/runit.stopit). It *recommends* runit-run | runit-init, which would
#   start runsvdir at boot or replace init, hence --no-install-recommends.
# - s6, daemon (libslack), daemontools and tini have no maintainer scripts
#   that start anything. start-stop-daemon comes with dpkg.
set -euo pipefail

packages=(runit s6 daemon supervisor daemontools tini)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

if ((EUID != 0)); then
  echo "install-anchors: need root to install ${missing[*]}" >&2
  exit 1
fi
echo "install-anchors: installing ${missing[*]}" >&2

policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\n# bench/install-anchors.sh: start no service while packages are configured\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
else
  rc=0
  "$policy" supervisor start >/dev/null 2>&1 || rc=$?
  ((rc == 101)) || echo "install-anchors: $policy allows starting services (exit $rc): supervisor's postinst may start supervisord" >&2
fi

export DEBIAN_FRONTEND=noninteractive
for p in "${missing[@]}"; do
  if ! apt-cache show "$p" >/dev/null 2>&1; then
    apt-get update -qq
    break
  fi
done
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

if [[ " ${missing[*]} " == *" supervisor "* ]]; then
  if [[ -d /run/systemd/system ]]; then
    systemctl disable supervisor.service >/dev/null 2>&1 || true
  elif [[ -x /etc/init.d/supervisor ]]; then
    update-rc.d supervisor disable >/dev/null 2>&1 || true
  fi
fi
