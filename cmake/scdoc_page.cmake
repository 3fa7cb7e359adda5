# SPDX-License-Identifier: MIT
# One man page from its scdoc source, with daemonkit's version in the footer,
# and (with GZIP) OUTPUT.gz beside it, as packages install man pages:
#   cmake -DSCDOC=scdoc -DINPUT=x.1.scd -DOUTPUT=x.1 -DVERSION=0.1.0 [-DGZIP=gzip] -P scdoc_page.cmake
# The source's title line names only the page ("daemonkit(1)",
# "daemonkit.toml(5)"), so the version is written once, in
# include/daemonkit/version.hpp. scdoc dates the page from SOURCE_DATE_EPOCH
# when it is set, and gzip -n leaves out the name and time: the same sources
# give the same bytes.
cmake_minimum_required(VERSION 3.25)

foreach(_var SCDOC INPUT OUTPUT VERSION)
  if(NOT ${_var})
    message(FATAL_ERROR "scdoc_page.cmake: -D${_var}=... is missing")
  endif()
endforeach()

file(READ "${INPUT}" _text)
if(NOT _text MATCHES "^[a-z][a-z.]*\\([0-9]\\)\n")
  message(FATAL_ERROR "${INPUT}:1: the first line must be the title alone, as in daemonkit(1)")
endif()
# The line count stays the same, so scdoc's line numbers are the source's.
string(REGEX REPLACE "^([a-z][a-z.]*\\([0-9]\\))\n" "\\1 \"daemonkit ${VERSION}\" \"daemonkit manual\"\n" _text "${_text}")
file(WRITE "${OUTPUT}.scd" "${_text}")
execute_process(COMMAND "${SCDOC}" INPUT_FILE "${OUTPUT}.scd" OUTPUT_FILE "${OUTPUT}.tmp"
  ERROR_VARIABLE _err RESULT_VARIABLE _rc)
file(REMOVE "${OUTPUT}.scd")
if(NOT _rc EQUAL 0)
  file(REMOVE "${OUTPUT}.tmp")
  string(STRIP "${_err}" _err)
  message(FATAL_ERROR "${INPUT}: scdoc: ${_err}")
endif()
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
if(GZIP)
  execute_process(COMMAND "${GZIP}" -9 -n -c "${OUTPUT}" OUTPUT_FILE "${OUTPUT}.gz.tmp" RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    file(REMOVE "${OUTPUT}.gz.tmp")
    message(FATAL_ERROR "${OUTPUT}: gzip failed (${_rc})")
  endif()
  file(RENAME "${OUTPUT}.gz.tmp" "${OUTPUT}.gz")
endif()
