// SPDX-License-Identifier: MIT
// The monitor program's entry point with what only the program can do: its
// main() (tools/monitor/main.cpp) brings a scratch heap for the options'
// parse, which it can only have there, as it replaces operator new.
#pragma once

namespace daemonkit::supervisor {

// Around reading the options: allocations between begin() and end() are the
// JSON text, its parse tree and a first copy of the options, all dead once
// the options are copied out. Kept apart from the heap, they do not leave
// the options the monitor keeps for days scattered between their holes.
// Null: no scratch (the public monitor_program_main).
struct options_scratch {
  void (*begin)() noexcept = nullptr;
  void (*end)() noexcept = nullptr;
};

int monitor_program_main(int argc, char** argv, const options_scratch& scratch);

}  // namespace daemonkit::supervisor
