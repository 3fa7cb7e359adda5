# DAEMONKIT_SANITIZE=address,undefined | thread : applied to every target.
set(DAEMONKIT_SANITIZE "" CACHE STRING "Sanitizers to build with (e.g. address,undefined or thread)")
if(DAEMONKIT_SANITIZE)
  add_compile_options(-fsanitize=${DAEMONKIT_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${DAEMONKIT_SANITIZE})
endif()
