// Umbrella header: everything in libdaemonkit.
#pragma once

#include "daemonkit/control.hpp"
#include "daemonkit/credentials.hpp"
#include "daemonkit/daemon.hpp"
#include "daemonkit/daemonize.hpp"
#include "daemonkit/exit_status.hpp"
#include "daemonkit/notify.hpp"
#include "daemonkit/pidfile.hpp"
#include "daemonkit/process.hpp"
#include "daemonkit/result.hpp"
#include "daemonkit/signal_name.hpp"
#include "daemonkit/stop_policy.hpp"
#include "daemonkit/unique_fd.hpp"
#include "daemonkit/units.hpp"
