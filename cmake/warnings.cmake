# SPDX-License-Identifier: MIT
# One warning set for every target of ours; -Wswitch-enum keeps the monitor's
# state x event switch exhaustive. No -Wnull-dereference: with g++ 12 at -O2
# it reports false positives inside libstdc++ (basic_string) that we cannot fix.
add_library(daemonkit_warnings INTERFACE)
target_compile_options(daemonkit_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wswitch-enum
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(DAEMONKIT_WERROR)
  target_compile_options(daemonkit_warnings INTERFACE -Werror)
endif()
# g++ 12 at -O3 (Release) reports -Wrestrict inside libstdc++ for a literal
# prepended to a std::string ("x" + s): a false positive (GCC bug 105329,
# fixed in 13). It is a warning -Wall turns on, so only that one goes.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(daemonkit_warnings INTERFACE -Wno-restrict)
endif()
