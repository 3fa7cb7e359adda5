# SPDX-License-Identifier: MIT
# Man pages, from their scdoc sources in docs/man/: daemonkit(1) and
# daemonkit.toml(5) (with the tool) and libdaemonkit(3), built into
# BUILD/man/ as part of ALL (PAGE, and PAGE.gz beside it) and installed
# gzipped, as Debian installs man pages, to MANDIR/man1, man5 and man3
# (cmake/install.cmake). On by default where scdoc is found, in a top-level
# build (a project that add_subdirectory()s us does not want them);
# scripts/install-deps.sh installs it.
# scripts/check-man.sh renders them and fails on any groff warning (the
# man_pages test).
find_program(DAEMONKIT_SCDOC scdoc)
if(DAEMONKIT_SCDOC AND DAEMONKIT_TOP_LEVEL)
  set(_dk_man_default ON)
else()
  set(_dk_man_default OFF)
endif()
option(DAEMONKIT_MAN "Build and install the man pages (needs scdoc)" ${_dk_man_default})
unset(_dk_man_default)

set(DAEMONKIT_MAN_PAGES "")
if(DAEMONKIT_MAN)
  if(NOT DAEMONKIT_SCDOC)
    message(FATAL_ERROR "DAEMONKIT_MAN=ON needs scdoc (apt-get install scdoc), or configure with -DDAEMONKIT_MAN=OFF")
  endif()
  find_program(DAEMONKIT_GZIP gzip REQUIRED)
  set(_dk_pages libdaemonkit.3)
  if(TARGET daemonkit_tool)
    list(APPEND _dk_pages daemonkit.1 daemonkit.toml.5)
  endif()
  foreach(_dk_page IN LISTS _dk_pages)
    set(_dk_in ${PROJECT_SOURCE_DIR}/docs/man/${_dk_page}.scd)
    set(_dk_out ${PROJECT_BINARY_DIR}/man/${_dk_page})
    add_custom_command(OUTPUT ${_dk_out} ${_dk_out}.gz
      COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
      COMMAND ${CMAKE_COMMAND} -DSCDOC=${DAEMONKIT_SCDOC} -DGZIP=${DAEMONKIT_GZIP} -DINPUT=${_dk_in}
        -DOUTPUT=${_dk_out} -DVERSION=${PROJECT_VERSION} -P ${PROJECT_SOURCE_DIR}/cmake/scdoc_page.cmake
      DEPENDS ${_dk_in} ${PROJECT_SOURCE_DIR}/cmake/scdoc_page.cmake
      COMMENT "Building man page ${_dk_page}" VERBATIM)
    list(APPEND DAEMONKIT_MAN_PAGES ${_dk_out})  # PAGE.gz beside each
  endforeach()
  add_custom_target(daemonkit_man ALL DEPENDS ${DAEMONKIT_MAN_PAGES})
  unset(_dk_pages)
  unset(_dk_page)
  unset(_dk_in)
  unset(_dk_out)
endif()
