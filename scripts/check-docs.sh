#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The API reference: builds the Doxygen HTML of the public headers
# (include/daemonkit/, not detail/; docs/library.md as the main page) into
# build-docs/docs/html and fails on any Doxygen warning: an undocumented
# public declaration, a broken reference, a \param that names no parameter
# (docs/Doxyfile.in sets WARN_AS_ERROR=FAIL_ON_WARNINGS).
#
#   ./scripts/check-docs.sh          # then open build-docs/docs/html/index.html
#
# Installs doxygen (and the build dependencies) with scripts/install-deps.sh
# if missing. Nothing is compiled: configuring only finds the library's
# dependencies, and the docs target runs doxygen alone.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${DOCS_BUILD_DIR:-build-docs}
./scripts/install-deps.sh
cmake -S . -B "$build" -G Ninja -DDAEMONKIT_DOCS=ON \
  -DDAEMONKIT_BUILD_TESTS=OFF -DDAEMONKIT_BUILD_TOOL=OFF -DDAEMONKIT_BUILD_EXAMPLES=OFF >/dev/null
# Run doxygen every time, even if nothing changed since a passing run: the
# gate reports what this checkout's comments say, in full.
rm -f "$build/docs/doxygen.stamp"
start=$SECONDS
if ! cmake --build "$build" --target docs; then
  echo "check-docs: FAILED: Doxygen warnings above (each is an error: document the declaration, or fix the reference)" >&2
  exit 1
fi
pages=$(find "$build/docs/html" -name '*.html' | wc -l)
echo "check-docs: ok: $(doxygen --version | cut -d' ' -f1), $pages pages in $((SECONDS - start)) s: $build/docs/html/index.html"
