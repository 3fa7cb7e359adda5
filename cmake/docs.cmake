# SPDX-License-Identifier: MIT
# The API reference: Doxygen HTML of the public headers (include/daemonkit/,
# not detail/) with docs/library.md as its main page and the other docs/*.md
# as related pages, built into BUILD/docs/html by
# `cmake --build BUILD --target docs` (configuration: docs/Doxyfile.in).
# Off by default, and outside ALL when on, so no ordinary build needs or
# waits for Doxygen. scripts/check-docs.sh builds it; any warning fails it.
option(DAEMONKIT_DOCS "Add the docs target (Doxygen HTML reference; needs doxygen)" OFF)

if(DAEMONKIT_DOCS)
  find_package(Doxygen 1.9 REQUIRED COMPONENTS doxygen)
  set(DAEMONKIT_DOCS_OUTPUT ${PROJECT_BINARY_DIR}/docs)
  configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${DAEMONKIT_DOCS_OUTPUT}/Doxyfile @ONLY)
  file(GLOB _dk_doc_inputs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/daemonkit/*.hpp)
  file(GLOB _dk_doc_pages CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
  list(APPEND _dk_doc_inputs ${_dk_doc_pages} ${PROJECT_SOURCE_DIR}/docs/doxygen-md-filter.sh)
  # The HTML is made afresh (doxygen leaves the pages of what is gone). The
  # stamp is touched only when doxygen succeeded: with warnings it fails
  # (WARN_AS_ERROR) after writing the HTML, which must not count as done.
  add_custom_command(
    OUTPUT ${DAEMONKIT_DOCS_OUTPUT}/doxygen.stamp
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${DAEMONKIT_DOCS_OUTPUT}/html
    COMMAND Doxygen::doxygen ${DAEMONKIT_DOCS_OUTPUT}/Doxyfile
    COMMAND ${CMAKE_COMMAND} -E touch ${DAEMONKIT_DOCS_OUTPUT}/doxygen.stamp
    DEPENDS ${_dk_doc_inputs} ${DAEMONKIT_DOCS_OUTPUT}/Doxyfile
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    COMMENT "Doxygen: API reference in ${DAEMONKIT_DOCS_OUTPUT}/html"
    VERBATIM)
  add_custom_target(docs DEPENDS ${DAEMONKIT_DOCS_OUTPUT}/doxygen.stamp)
  unset(_dk_doc_inputs)
  unset(_dk_doc_pages)
endif()
