// SPDX-License-Identifier: MIT
// The /bin/sh command line for a supervisord program whose command differs
// per instance (numprocs > 1 and %(process_num) in it), for `daemonkit
// import` (import_file.hpp). daemonkit starts every instance with the same
// command and tells them apart by DAEMONKIT_INSTANCE alone, so the shell
// computes supervisord's number from it at each start.
#pragma once

#include <string>
#include <vector>

namespace dk::import_detail {

// argv whose words hold instance marks, as one /bin/sh command: each mark
// becomes supervisord's process_num for the instance, computed from the
// DAEMONKIT_INSTANCE (1, 2, ...) daemonkit gives it; exec keeps the program
// the service's main process. formats: one printf(1) format per mark, in
// order (expanded::instance_formats, import_expand.hpp).
std::string instance_command(const std::vector<std::string>& argv, const std::vector<std::string>& formats,
                             long long numprocs_start);

}  // namespace dk::import_detail
