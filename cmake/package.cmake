# SPDX-License-Identifier: MIT
# `cpack -G DEB` (scripts/package-deb.sh): the install components as Debian
# packages, named as Debian names them:
#   daemonkit_VERSION_ARCH.deb         runtime: the tool, its monitor, the
#                                      shared library, man pages (daemonkit(1),
#                                      daemonkit.toml(5)), completions
#   libdaemonkit-dev_VERSION_ARCH.deb  development: headers, the CMake
#                                      package, daemonkit.pc, libdaemonkit.so
# Built from a Release configuration with -DBUILD_SHARED_LIBS=ON and
# -DCMAKE_INSTALL_PREFIX=/usr (the script does that); the tool links the
# library's objects in, so it needs only libc from the system.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME daemonkit)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR daemonkit)
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime development)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "daemonkit developers <maintainers@daemonkit.invalid>")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Depends: from what the binaries link (dpkg-shlibdeps): libc6 only.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# A shlibs file and the ldconfig trigger for libdaemonkit.so.MAJOR.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME daemonkit)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION admin)
# First line the synopsis, the rest the long description (CPack indents it;
# with no CPACK_PACKAGE_DESCRIPTION_SUMMARY it prepends no common one).
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION "run programs as well-behaved Unix daemons
daemonkit runs any program as a supervised daemon, one small monitor per
service and no central daemon: respawn with backoff, log capture and
rotation, privilege drop, readiness (sd_notify, fd, pidfile, tcp/http/cmd
checks) so that start tells the truth, health checks, status/list/logs, and
run for systemd units and as a container's PID 1.

This package also holds libdaemonkit, the C++ library behind it.")

set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME libdaemonkit-dev)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS "daemonkit (= ${PROJECT_VERSION})")
set(CPACK_DEBIAN_DEVELOPMENT_DESCRIPTION "C++ library for well-behaved Unix daemons - development files
libdaemonkit daemonizes per systemd's daemon(7), keeps locked pidfiles that
never go stale, reports readiness so that start tells the truth, and gives a
Daemon base class with start/stop/restart/status/reload.

This package holds the headers, the CMake package (find_package(daemonkit))
and daemonkit.pc.")

include(CPack)
