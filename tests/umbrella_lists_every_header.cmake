# SPDX-License-Identifier: MIT
# Fails unless include/daemonkit/daemonkit.hpp includes every public header
# (include/daemonkit/*.hpp, not detail/) and nothing from detail/: the
# umbrella is what tells a user which headers are the API.
#   cmake -DSOURCE_DIR=<checkout> -P tests/umbrella_lists_every_header.cmake
cmake_minimum_required(VERSION 3.25)
set(umbrella ${SOURCE_DIR}/include/daemonkit/daemonkit.hpp)
file(STRINGS ${umbrella} lines REGEX "^#include \"daemonkit/")
file(GLOB headers RELATIVE ${SOURCE_DIR}/include ${SOURCE_DIR}/include/daemonkit/*.hpp)
list(REMOVE_ITEM headers daemonkit/daemonkit.hpp)
set(missing "")
foreach(h ${headers})
  if(NOT "#include \"${h}\"" IN_LIST lines)
    list(APPEND missing ${h})
  endif()
endforeach()
set(detail "")
foreach(line ${lines})
  if(line MATCHES "daemonkit/detail/")
    list(APPEND detail ${line})
  endif()
endforeach()
if(missing OR detail)
  message(FATAL_ERROR "include/daemonkit/daemonkit.hpp: not included: ${missing}; not API, yet included: ${detail}")
endif()
list(LENGTH headers n)
message(STATUS "daemonkit.hpp includes all ${n} public headers")
