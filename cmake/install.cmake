# SPDX-License-Identifier: MIT
# `cmake --install BUILD [--prefix P]`: the library and its headers, a CMake
# package (find_package(daemonkit) → daemonkit::daemonkit), daemonkit.pc, the
# license, (DAEMONKIT_BUILD_TOOL) the daemonkit tool and its monitor, and
# (DAEMONKIT_MAN, cmake/man.cmake) the man pages, gzipped, in
# share/man/man1/daemonkit.1.gz, share/man/man5/daemonkit.toml.5.gz and
# share/man/man3/libdaemonkit.3.gz.
#   lib/libdaemonkit.a (or .so.VERSION, .so.MAJOR, .so)   include/daemonkit/
#   lib/cmake/daemonkit/   lib/pkgconfig/daemonkit.pc   share/doc/daemonkit/LICENSE
#   bin/daemonkit          libexec/daemonkit/daemonkit-monitor   libexec/daemonkit/daemonkit-keep (x86-64)
#   share/bash-completion/completions/daemonkit   share/zsh/vendor-completions/_daemonkit
#   share/fish/vendor_completions.d/daemonkit.fish
# Components: runtime (shared library, programs), development (the rest).
include(CMakePackageConfigHelpers)

set(_dk_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/daemonkit)

install(TARGETS daemonkit EXPORT daemonkit-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT development)
# Every header, detail/ included: installed as they are in the tree.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/daemonkit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT development FILES_MATCHING PATTERN "*.hpp")
install(EXPORT daemonkit-targets NAMESPACE daemonkit:: DESTINATION ${_dk_cmake_dir} COMPONENT development)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/daemonkit-config.cmake.in
  ${PROJECT_BINARY_DIR}/daemonkit-config.cmake INSTALL_DESTINATION ${_dk_cmake_dir})
# SameMajorVersion, as fmt and CLI11: 1.3 satisfies find_package(daemonkit 1.0).
# While the major version is 0 it lets 0.2 satisfy a request for 0.1 too,
# though a 0.x release may change the API: ask for `0.1.0 EXACT` to be strict.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/daemonkit-config-version.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/daemonkit-config.cmake ${PROJECT_BINARY_DIR}/daemonkit-config-version.cmake
  DESTINATION ${_dk_cmake_dir} COMPONENT development)

# daemonkit.pc names the prefix it is installed under, which `cmake --install
# --prefix P` decides after configuring: so it is written at install time.
# The dirs stay relative to ${prefix} where GNUInstallDirs made them relative.
foreach(_dk_dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_dk_dir}}")
    set(DAEMONKIT_PC_${_dk_dir} "${CMAKE_INSTALL_${_dk_dir}}")
  else()
    set(DAEMONKIT_PC_${_dk_dir} "\${prefix}/${CMAKE_INSTALL_${_dk_dir}}")
  endif()
endforeach()
# First pass now (version, dirs); the prefix is left for the second.
set(DAEMONKIT_PC_PREFIX "@DAEMONKIT_PC_PREFIX@")
configure_file(${CMAKE_CURRENT_LIST_DIR}/daemonkit.pc.in ${PROJECT_BINARY_DIR}/daemonkit.pc.in @ONLY)
install(CODE "
  set(DAEMONKIT_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${PROJECT_BINARY_DIR}/daemonkit.pc.in\" \"${PROJECT_BINARY_DIR}/daemonkit.pc\" @ONLY)
" COMPONENT development)
install(FILES ${PROJECT_BINARY_DIR}/daemonkit.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT development)

install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)

if(TARGET daemonkit_tool)
  install(TARGETS daemonkit_tool RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
  # Where the tool looks for it (tools/daemonkit/CMakeLists.txt).
  install(TARGETS daemonkit_monitor RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/daemonkit COMPONENT runtime)
  # The keeper program, beside the monitor: where the monitor looks for it
  # (src/supervisor/keeper_program.cpp). Not built on every architecture.
  if(TARGET daemonkit_keep)
    install(TARGETS daemonkit_keep RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/daemonkit COMPONENT runtime)
  endif()
  # Shell completion, where each shell finds a package's own: bash-completion
  # loads completions/daemonkit when `daemonkit` is first completed; the zsh
  # directory is Debian's (in its $fpath; other systems use site-functions).
  set(DAEMONKIT_BASH_COMPLETION_DIR ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
    CACHE STRING "Where the bash completion of daemonkit is installed")
  set(DAEMONKIT_ZSH_COMPLETION_DIR ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions
    CACHE STRING "Where the zsh completion of daemonkit is installed")
  set(DAEMONKIT_FISH_COMPLETION_DIR ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d
    CACHE STRING "Where the fish completion of daemonkit is installed")
  install(FILES ${PROJECT_SOURCE_DIR}/completion/daemonkit.bash DESTINATION ${DAEMONKIT_BASH_COMPLETION_DIR}
    RENAME daemonkit COMPONENT runtime)
  install(FILES ${PROJECT_SOURCE_DIR}/completion/_daemonkit DESTINATION ${DAEMONKIT_ZSH_COMPLETION_DIR}
    COMPONENT runtime)
  install(FILES ${PROJECT_SOURCE_DIR}/completion/daemonkit.fish DESTINATION ${DAEMONKIT_FISH_COMPLETION_DIR}
    COMPONENT runtime)
endif()

# The tool's pages (daemonkit(1), daemonkit.toml(5)) go with the tool, the
# library's (section 3) with its headers; gzipped, as Debian's policy has it
# (man reads them as they are).
foreach(_dk_page IN LISTS DAEMONKIT_MAN_PAGES)
  string(REGEX REPLACE ".*\\.([0-9])$" "\\1" _dk_section "${_dk_page}")
  if(_dk_section STREQUAL "3")
    set(_dk_component development)
  else()
    set(_dk_component runtime)
  endif()
  install(FILES ${_dk_page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${_dk_section} COMPONENT ${_dk_component})
endforeach()

unset(_dk_cmake_dir)
unset(_dk_dir)
unset(_dk_page)
unset(_dk_section)
unset(_dk_component)
