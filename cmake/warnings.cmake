# One warning set for every target of ours; -Wswitch-enum keeps the monitor's
# state x event switch exhaustive.
add_library(daemonkit_warnings INTERFACE)
target_compile_options(daemonkit_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wswitch-enum
  -Wnull-dereference -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(DAEMONKIT_WERROR)
  target_compile_options(daemonkit_warnings INTERFACE -Werror)
endif()
