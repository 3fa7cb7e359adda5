#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the Debian packages (cmake/package.cmake: daemonkit and
# libdaemonkit-dev) and checks them as an operator would use them: installed
# with dpkg into a root of their own (a fresh dpkg database, so this machine's
# packages are not touched), then the installed tool is run from there:
# --version, its man page, completions, a start/status/stop of a real
# service (with the installed monitor), and a program built against the -dev
# package with pkg-config.
#
#   ./scripts/package-deb.sh            # packages in build-deb/packages/
#   KEEP=1 ./scripts/package-deb.sh     # keep the install root
set -euo pipefail
cd "$(dirname "$0")/.."
root_dir=$PWD
build=${BUILD_DIR:-build-deb}

./scripts/install-deps.sh
t0=$SECONDS
say() { printf 'package-deb: [%3d s] %s\n' $((SECONDS - t0)) "$*"; }
fail() { printf 'package-deb: FAILED: %s\n' "$*" >&2; exit 1; }

say "configure and build (Release, shared library, prefix /usr)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DCMAKE_INSTALL_PREFIX=/usr \
  -DDAEMONKIT_BUILD_TESTS=OFF -DDAEMONKIT_BUILD_EXAMPLES=OFF -DDAEMONKIT_WERROR=ON >/dev/null
cmake --build "$build" >/dev/null
rm -rf "$build/packages"
say "cpack -G DEB"
(cd "$build" && cpack -G DEB >/dev/null)
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
[[ -n $version ]] || fail "no CMAKE_PROJECT_VERSION in $build/CMakeCache.txt"
arch=$(dpkg --print-architecture)
shopt -s nullglob
debs=("$build"/packages/*.deb)
((${#debs[@]} == 2)) || fail "expected 2 packages in $build/packages, got: ${debs[*]-none}"
runtime=$(printf '%s\n' "${debs[@]}" | grep "/daemonkit_[^/]*_$arch.deb\$" || true)
dev=$(printf '%s\n' "${debs[@]}" | grep "/libdaemonkit-dev_[^/]*_$arch.deb\$" || true)
[[ -n $runtime && -n $dev ]] || fail "package names: ${debs[*]} (want daemonkit_VERSION_$arch.deb, libdaemonkit-dev_VERSION_$arch.deb)"
for d in "$runtime" "$dev"; do say "$(basename "$d"): $(stat -c %s "$d") bytes"; done

say "what the runtime package holds"
listing=$(dpkg-deb --contents "$runtime")
contents=$(awk '{print $NF}' <<<"$listing")
for f in ./usr/bin/daemonkit ./usr/libexec/daemonkit/daemonkit-monitor ./usr/share/man/man1/daemonkit.1.gz \
  ./usr/share/man/man5/daemonkit.toml.5.gz \
  ./usr/share/bash-completion/completions/daemonkit ./usr/share/zsh/vendor-completions/_daemonkit \
  ./usr/share/fish/vendor_completions.d/daemonkit.fish ./usr/share/doc/daemonkit/LICENSE; do
  grep -qxF -- "$f" <<<"$contents" || fail "$(basename "$runtime") has no $f"
done
# The freestanding keeper is built for x86-64 only (tools/keeper/CMakeLists.txt).
if [[ $arch == amd64 ]]; then
  grep -qxF -- ./usr/libexec/daemonkit/daemonkit-keep <<<"$contents" ||
    fail "$(basename "$runtime") has no ./usr/libexec/daemonkit/daemonkit-keep"
fi
grep -Eq 'libdaemonkit\.so\.[0-9]+ -> ' <<<"$listing" ||
  fail "$(basename "$runtime") has no libdaemonkit.so.MAJOR"
depends=$(dpkg-deb --field "$runtime" Depends)
say "runtime Depends: $depends"
[[ $depends == *libc6* ]] || fail "runtime Depends names no libc6: '$depends'"
dev_contents=$(dpkg-deb --contents "$dev" | awk '{print $NF}')
for f in ./usr/include/daemonkit/daemonkit.hpp ./usr/share/man/man3/libdaemonkit.3.gz; do
  grep -qxF -- "$f" <<<"$dev_contents" || fail "$(basename "$dev") has no $f"
done
grep -q 'daemonkit\.pc$' <<<"$dev_contents" || fail "$(basename "$dev") has no daemonkit.pc"
grep -q 'daemonkit-config\.cmake$' <<<"$dev_contents" || fail "$(basename "$dev") has no daemonkit-config.cmake"

# A root of its own with an empty dpkg database: dpkg -i installs there and
# records it; what the packages depend on (libc6) is this machine's, so
# --force-depends.
tmp=$(mktemp -d /tmp/dk-deb.XXXXXX)
cleanup() {
  [[ -x $tmp/root/usr/bin/daemonkit ]] &&
    "$tmp/root/usr/bin/daemonkit" stop --state-dir "$tmp/state" --log-dir "$tmp/log" deb-smoke >/dev/null 2>&1 || true
  [[ -n ${KEEP:-} ]] && { echo "package-deb: kept $tmp"; return; }
  rm -rf "$tmp"
}
trap cleanup EXIT
root=$tmp/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status"
say "dpkg -i into $root"
dpkg --root="$root" --force-depends --force-script-chrootless -i "$runtime" "$dev" >"$tmp/dpkg.log" 2>&1 ||
  { cat "$tmp/dpkg.log" >&2; fail "dpkg -i"; }
dpkg --root="$root" -s daemonkit libdaemonkit-dev >/dev/null || fail "dpkg does not list both packages as installed"

dk=$root/usr/bin/daemonkit
got=$("$dk" --version)
say "daemonkit --version: $got"
[[ $got == *"$version"* ]] || fail "daemonkit --version says '$got', not $version"
page=$(MANPATH=$root/usr/share/man man -w daemonkit) || fail "man -w daemonkit finds no page"
[[ $page == "$root/"* ]] || fail "man -w daemonkit: $page (not the installed page)"
MANPATH=$root/usr/share/man MANWIDTH=80 man daemonkit 2>/dev/null | grep -q 'daemonkit' || fail "man daemonkit shows nothing"
page=$(MANPATH=$root/usr/share/man man -w 5 daemonkit.toml) || fail "man -w 5 daemonkit.toml finds no page"
[[ $page == "$root/"* ]] || fail "man -w 5 daemonkit.toml: $page (not the installed page)"
bash --norc -c "source '$root/usr/share/bash-completion/completions/daemonkit'" || fail "the bash completion does not load"

say "start, status, stop with the installed tool"
state=$tmp/state
"$dk" start --state-dir "$state" --log-dir "$tmp/log" --name deb-smoke -- /bin/sleep 3600 >"$tmp/start.out" ||
  fail "start: $(cat "$tmp/start.out")"
monitor=$(sed -n 's/^monitor_pid=//p' "$state/deb-smoke.state")
[[ $(readlink "/proc/$monitor/exe") == "$root/usr/libexec/daemonkit/daemonkit-monitor" ]] ||
  fail "the monitor (pid $monitor) is $(readlink "/proc/$monitor/exe"), not the installed one"
if [[ $arch == amd64 ]]; then
  keeper=$(sed -n 's/^keeper_pid=//p' "$state/deb-smoke.state")
  [[ $(readlink "/proc/$keeper/exe") == "$root/usr/libexec/daemonkit/daemonkit-keep" ]] ||
    fail "the keeper (pid $keeper) is $(readlink "/proc/$keeper/exe"), not the installed daemonkit-keep"
fi
"$dk" status --state-dir "$state" deb-smoke | grep -q ': running' || fail "status does not say running"
"$dk" stop --state-dir "$state" deb-smoke >/dev/null || fail "stop"
set +e
"$dk" status --state-dir "$state" deb-smoke >/dev/null
code=$?
set -e
((code == 3)) || fail "status after stop exits $code, not 3"

say "a program built against libdaemonkit-dev (pkg-config), run with the installed library"
pcdir=$(dirname "$(find "$root/usr/lib" -name daemonkit.pc | head -1)")
cat >"$tmp/app.cpp" <<'CPP'
#include <daemonkit/daemonkit.hpp>
#include <cstdio>
int main() {
  auto r = daemonkit::parse_signal("TERM");
  std::printf("%s %d\n", DAEMONKIT_VERSION_STRING, r ? *r : -1);
  return r ? 0 : 1;
}
CPP
# shellcheck disable=SC2046
c++ -std=c++20 $(PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_PATH=$pcdir pkg-config --cflags daemonkit) "$tmp/app.cpp" -o "$tmp/app" \
  $(PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_PATH=$pcdir pkg-config --libs daemonkit) || fail "building against the -dev package"
out=$(LD_LIBRARY_PATH=$(dirname "$(find "$root/usr/lib" -name 'libdaemonkit.so.*' | head -1)") "$tmp/app") ||
  fail "the program built against the -dev package"
ldd_lib=$(LD_LIBRARY_PATH=$(dirname "$(find "$root/usr/lib" -name 'libdaemonkit.so.*' | head -1)") ldd "$tmp/app" | grep libdaemonkit || true)
[[ $ldd_lib == *"$root"* ]] || fail "the program does not use the installed libdaemonkit: $ldd_lib"
[[ $out == "$version 15" ]] || fail "the program printed '$out'"
say "all passed: $(basename "$runtime") $(basename "$dev")"
