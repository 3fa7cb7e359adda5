// SPDX-License-Identifier: MIT
// A whole supervisord config as a daemonkit.toml, for `daemonkit import`
// (import_file.hpp): each [program:x] a service (import_program.hpp), groups
// and priorities as depends_on, [supervisord] environment as [defaults], and
// every other section said in a comment, since daemonkit has no central
// daemon, control server or event protocol to carry it to.
#pragma once

#include "daemonkit/result.hpp"
#include "import_file.hpp"
#include "import_ini.hpp"
#include "import_output.hpp"

namespace dk::import_detail {

// The daemonkit.toml for ini (read from imp.path), with imp's warnings.
// Errors (errc::invalid_argument, naming the file): a line configparser
// refuses (FILE:LINE), or no program that can be carried over (with each
// one's reason, and the [include] whose files may hold them).
daemonkit::result<import_result> import_supervisord(importer& imp, const ini_file& ini);

}  // namespace dk::import_detail
