# SPDX-License-Identifier: MIT
# What a monitor keeps resident is paid once per service, so the programs are
# built for size (DAEMONKIT_SMALL, on by default):
#  - the library and the tools at -Os in Release builds: a supervisor's time
#    goes to syscalls, and -Os halves the code that each monitor faults in
#    (the kernel maps a file's pages 64 KiB around every fault);
#  - every function and object in a section of its own, so that the programs
#    link (--gc-sections) only what they call;
#  - libstdc++ and libgcc linked into the programs (not the library): the few
#    pages of them a monitor uses are then shared by every monitor, instead of
#    each one relocating (dirtying) the shared library's tables and mapping
#    all of it. Not under sanitizers, whose runtimes expect the shared one.
option(DAEMONKIT_SMALL "Build the monitor and the tool for a small resident footprint" ON)

function(daemonkit_small_library target)
  if(DAEMONKIT_SMALL)
    target_compile_options(${target} PRIVATE -ffunction-sections -fdata-sections $<$<CONFIG:Release>:-Os>)
  endif()
endfunction()

# daemonkit_small_program(TARGET [STATIC]): STATIC links the whole program
# static (a static PIE, so it keeps address-space randomisation); g++ 12
# silently links dynamically when -static-pie meets -static-libgcc, so the
# two are exclusive here. Link warnings are errors then: glibc's only way of
# saying that a static program calls into NSS (getpwnam, getaddrinfo, ...),
# which it must not (it cannot load NSS modules safely).
function(daemonkit_small_program target)
  set(static_link OFF)
  if(ARGC GREATER 1 AND ARGV1 STREQUAL "STATIC")
    set(static_link ON)
    target_link_options(${target} PRIVATE -static-pie -Wl,--fatal-warnings)
  endif()
  if(DAEMONKIT_SMALL)
    target_compile_options(${target} PRIVATE -ffunction-sections -fdata-sections $<$<CONFIG:Release>:-Os>)
    target_link_options(${target} PRIVATE -Wl,--gc-sections -Wl,--as-needed)
    if(NOT static_link AND NOT DAEMONKIT_SANITIZE AND NOT DAEMONKIT_FUZZ)
      target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
    endif()
  endif()
endfunction()
