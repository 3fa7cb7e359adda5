// SPDX-License-Identifier: MIT
/// \file
/// The version of the daemonkit headers a program is compiled with.
///
/// \code{.cpp}
/// #if DAEMONKIT_VERSION >= 200  // 0.2.0 or later
/// \endcode
///
/// These three numbers are the one place the version is written: CMake reads
/// them for project(VERSION), the library's VERSION and SOVERSION, the package
/// config's version file and daemonkit.pc. While the major version is 0 a
/// minor release may change the API and the ABI.
#pragma once

/// The major version: 0 while the API may still change with a minor release.
#define DAEMONKIT_VERSION_MAJOR 0
/// The minor version.
#define DAEMONKIT_VERSION_MINOR 1
/// The patch version.
#define DAEMONKIT_VERSION_PATCH 0

/// MAJOR * 10000 + MINOR * 100 + PATCH (0.1.0 is 100), for \#if comparisons.
#define DAEMONKIT_VERSION (DAEMONKIT_VERSION_MAJOR * 10000 + DAEMONKIT_VERSION_MINOR * 100 + DAEMONKIT_VERSION_PATCH)

/// \cond internal
#define DAEMONKIT_VERSION_STR_(x) #x
#define DAEMONKIT_VERSION_STR(x) DAEMONKIT_VERSION_STR_(x)
/// \endcond
/// The version as a string literal: "0.1.0".
#define DAEMONKIT_VERSION_STRING                 \
  DAEMONKIT_VERSION_STR(DAEMONKIT_VERSION_MAJOR) \
  "." DAEMONKIT_VERSION_STR(DAEMONKIT_VERSION_MINOR) "." DAEMONKIT_VERSION_STR(DAEMONKIT_VERSION_PATCH)
