#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Renders each man page the way man(1) would and fails on any groff warning
# (-ww: every category, e.g. a broken macro, an unknown escape, a line that
# cannot be broken). PAGE is a built page (BUILD/man/daemonkit.1) or its
# scdoc source (docs/man/daemonkit.1.scd, built here first); with no PAGE,
# every source in docs/man/. The ctest test man_pages runs it on the pages
# the build made.
#
#   ./scripts/check-man.sh [PAGE...]
#
# Needs scdoc (for sources) and groff (groff-base); where one is missing it
# skips (exit 77, ctest's SKIP_RETURN_CODE), except under CI=true, where a
# check that cannot run fails.
set -euo pipefail
cd "$(dirname "$0")/.."

pages=("$@")
((${#pages[@]} > 0)) || pages=(docs/man/*.scd)

missing() {
  if [[ ${CI:-} == true ]]; then
    echo "check-man: $1 is not installed (scripts/install-deps.sh installs it)" >&2
    exit 1
  fi
  echo "check-man: skipped: $1 is not installed (scripts/install-deps.sh installs it)" >&2
  exit 77
}
command -v groff >/dev/null || missing groff

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failed=0
for page in "${pages[@]}"; do
  roff=$page
  if [[ $page == *.scd ]]; then
    command -v scdoc >/dev/null || missing scdoc
    roff=$work/$(basename "$page" .scd)
    if ! scdoc <"$page" >"$roff" 2>"$work/scdoc.err"; then
      echo "check-man: $page: scdoc: $(cat "$work/scdoc.err")" >&2
      failed=1
      continue
    fi
  fi
  if [[ ! -s $roff ]]; then
    echo "check-man: $page: missing or empty" >&2
    failed=1
    continue
  fi
  # -z: format, print nothing; warnings still go to stderr. Rendered both for
  # a terminal (what man shows) and as PostScript (what man -t prints).
  for device in utf8 ps; do
    if ! groff -ww -man -T"$device" -z "$roff" 2>"$work/groff.err" || [[ -s $work/groff.err ]]; then
      echo "check-man: $page: groff -T$device warns:" >&2
      sed 's/^/    /' "$work/groff.err" >&2
      failed=1
    fi
  done
done
((failed == 0)) || exit 1
echo "check-man: ${#pages[@]} page(s) render without a warning"
