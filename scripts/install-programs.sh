#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the real Debian 12 servers that the `programs` tests drive through
# daemonkit (tests/programs), if missing. Idempotent and quiet when everything
# is already there, like install-deps.sh.
#
# The packages' maintainer scripts must not start their services: there is no
# systemd here, and a started nginx on :80 or dnsmasq on :53 would hold ports
# and processes the tests do not own. So the install runs behind a temporary
# /usr/sbin/policy-rc.d that forbids every start (exit 101, see
# /usr/share/doc/init-system-helpers/README.policy-rc.d), the previous one (if
# any) is put back afterwards, and any daemon the install left running anyway
# is reported and stopped.
#
# The tests need root (they run servers as their own users), so as another
# user this installs nothing and says so: those tests skip.
set -euo pipefail

packages=(nginx dnsmasq memcached postgresql-15 haproxy openssh-server openssh-client python3 curl procps util-linux)
# The process names (comm) of the servers above.
daemons=(nginx dnsmasq memcached postgres haproxy sshd)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

if ((EUID != 0)); then
  echo "install-programs: not root: not installing ${missing[*]} (the programs tests need root and skip)" >&2
  exit 0
fi
echo "install-programs: installing ${missing[*]}" >&2

# pids of the servers' processes, one per line, sorted.
server_pids() {
  local d
  for d in "${daemons[@]}"; do pgrep -x "$d" || true; done | sort
}
before=$(server_pids)

policy=/usr/sbin/policy-rc.d
saved=
if [[ -e $policy || -L $policy ]]; then
  saved=$(mktemp /usr/sbin/.policy-rc.d.install-programs.XXXXXX)
  mv -f "$policy" "$saved"
fi
restore_policy() {
  rm -f "$policy"
  if [[ -n $saved ]]; then mv -f "$saved" "$policy"; fi
}
trap restore_policy EXIT
printf '#!/bin/sh\n# install-programs.sh: no service starts while it installs\nexit 101\n' >"$policy"
chmod 0755 "$policy"

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

restore_policy
trap - EXIT

# Nothing the install started may stay: report and stop it (only processes
# that were not there before the install).
started=$(comm -13 <(echo "$before") <(server_pids) | sed '/^$/d')
if [[ -n $started ]]; then
  echo "install-programs: the install started these despite policy-rc.d; stopping them:" >&2
  # shellcheck disable=SC2086 # one pid per word
  ps -o pid=,comm=,args= -p "$(echo $started | tr " " ",")" >&2 || true
  # shellcheck disable=SC2086
  kill $started 2>/dev/null || true
  any_alive() {
    local p
    for p in $started; do kill -0 "$p" 2>/dev/null && return 0; done
    return 1
  }
  # They are not our children, so there is no exit event to wait on: a
  # bounded re-check (at most 10 s).
  for _ in $(seq 100); do
    any_alive || break
    sleep 0.1
  done
  if any_alive; then
    echo "install-programs: still running 10 s after SIGTERM: $started" >&2
    exit 1
  fi
fi
