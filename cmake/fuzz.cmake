# SPDX-License-Identifier: MIT
# DAEMONKIT_FUZZ=ON: build the libFuzzer targets in tests/fuzz (clang only).
#
# Everything of ours (the library included) is compiled with
# -fsanitize=fuzzer-no-link,address,undefined so libFuzzer sees coverage in
# the parsers and ASan/UBSan turn a bad read or an overflow into a crash; only
# the fuzz targets themselves link the fuzzer runtime (-fsanitize=fuzzer).
#   ./scripts/fuzz.sh [SECONDS] [TARGET...]     (or: cmake --preset fuzz)
# Included from cmake/sanitizers.cmake, before any target is defined.
option(DAEMONKIT_FUZZ "Build the libFuzzer targets in tests/fuzz (needs clang)" OFF)

if(DAEMONKIT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR
      "DAEMONKIT_FUZZ=ON needs clang (libFuzzer), but CMAKE_CXX_COMPILER is "
      "${CMAKE_CXX_COMPILER} (${CMAKE_CXX_COMPILER_ID}). Configure a fresh build dir with "
      "-DCMAKE_CXX_COMPILER=clang++-14, or use `cmake --preset fuzz` / scripts/fuzz.sh.")
  endif()
  if(DAEMONKIT_SANITIZE)
    message(FATAL_ERROR
      "DAEMONKIT_FUZZ=ON already builds with address,undefined; leave DAEMONKIT_SANITIZE empty "
      "(it is '${DAEMONKIT_SANITIZE}').")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=all)
endif()

# Called once from the top-level CMakeLists.txt, after the library exists.
function(daemonkit_add_fuzzers)
  if(DAEMONKIT_FUZZ)
    add_subdirectory(${PROJECT_SOURCE_DIR}/tests/fuzz ${PROJECT_BINARY_DIR}/tests/fuzz)
  endif()
endfunction()
