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
