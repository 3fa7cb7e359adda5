// SPDX-License-Identifier: MIT
/// \file
/// Umbrella header: every public header of libdaemonkit, so a program can
/// include this one alone. tests/unit/umbrella_test.cpp uses a name from each,
/// so a header left out here breaks its build; add new public headers to both
/// (a test also checks that every `include/daemonkit/*.hpp` is listed here).
///
/// include/daemonkit/detail/ is not API: helpers of the library and of the
/// daemonkit tool (atomic small files, the sd_notify datagram parser, /proc
/// readers, root's checked path walks), installed and exported like the rest
/// but free to change in any release. No public header includes them.

/// \namespace daemonkit
/// Everything libdaemonkit declares. Fallible calls return result<T>
/// (result.hpp); the library never logs and never exits, and it throws only
/// from result<T>::value() on an error and in the Daemon class (daemon.hpp).
/// The prose reference is the main page (docs/library.md).
#pragma once

#include "daemonkit/check.hpp"
#include "daemonkit/control.hpp"
#include "daemonkit/credentials.hpp"
#include "daemonkit/daemon.hpp"
#include "daemonkit/daemonize.hpp"
#include "daemonkit/env_file.hpp"
#include "daemonkit/exit_status.hpp"
#include "daemonkit/export.hpp"
#include "daemonkit/log_file.hpp"
#include "daemonkit/log_tail.hpp"
#include "daemonkit/monitor.hpp"
#include "daemonkit/notify.hpp"
#include "daemonkit/pidfile.hpp"
#include "daemonkit/process.hpp"
#include "daemonkit/respawn.hpp"
#include "daemonkit/result.hpp"
#include "daemonkit/service.hpp"
#include "daemonkit/service_codec.hpp"
#include "daemonkit/service_dir.hpp"
#include "daemonkit/service_phase.hpp"
#include "daemonkit/service_state.hpp"
#include "daemonkit/signal_name.hpp"
#include "daemonkit/spawn.hpp"
#include "daemonkit/stop_policy.hpp"
#include "daemonkit/supervised.hpp"
#include "daemonkit/text_escape.hpp"
#include "daemonkit/unique_fd.hpp"
#include "daemonkit/units.hpp"
#include "daemonkit/version.hpp"
