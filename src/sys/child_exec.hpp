// SPDX-License-Identifier: MIT
// The child side of spawn(): the plain data it runs on and the steps it takes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <sys/resource.h>
#include <sys/types.h>
#include <type_traits>

#include "sys/child_steps.hpp"

namespace daemonkit::sys {

enum class exec_stage : std::uint32_t {
  none = 0,
  setsid,
  process_group,
  terminal,
  stdio,
  fds,
  rlimit,
  nice,
  chroot,
  chdir,
  identity,
  umask,
  exec,
};

struct fd_map_entry {
  int from;
  int to;
};

// Everything the child needs, as plain pointers into memory the parent owns
// and keeps alive until the child has exec'd or exited.
struct exec_plan {
  const char* path;  // resolved program path, or nullptr to search PATH with execvpe semantics
  const char* const* argv;
  const char* const* envp;
  const char* const* search;  // PATH directories (when path is nullptr), nullptr-terminated
  const char* chdir;          // never nullptr
  const char* chroot;         // nullptr: none
  int umask;                  // -1: keep
  bool setsid;
  bool keep_ignored_signals;  // leave SIG_IGN dispositions as inherited (nohup)
  bool setpgid;               // without setsid: a process group of its own
  int terminal;               // -1, or an fd on the controlling terminal to give the new group (tcsetpgrp)
  int nice;
  const int* rlimit_resources;
  const struct rlimit* rlimit_values;
  std::size_t nrlimits;
  int in, out, err;  // -1: keep the current fd
  const fd_map_entry* fds;
  std::size_t nfds;
  child_identity identity;
  int error_fd;    // close-on-exec pipe to report {stage, errno}
  char* path_buf;  // scratch space for PATH search
  std::size_t path_buf_size;
  // The spawner. If it is gone by the time the child would exec (a monitor
  // killed mid-spawn), the child exits instead: nothing recorded its pid, so
  // it would run unknown, and a later start would run it twice. 0: no check.
  pid_t parent;
};
static_assert(std::is_standard_layout_v<exec_plan> && std::is_trivially_destructible_v<exec_plan>);

struct exec_report {
  std::uint32_t stage;
  std::int32_t err;
};

// Runs in the forked child. Never returns.
[[noreturn]] void run_child(const exec_plan& plan) noexcept;

}  // namespace daemonkit::sys
