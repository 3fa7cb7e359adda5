// SPDX-License-Identifier: MIT
// supervisord's environment= values, for `daemonkit import`
// (import_file.hpp): read with supervisord's own dict_of_key_value_pairs
// rules (over shlex tokens, import_shlex.hpp), quirks included, so the
// variables daemonkit sets are the ones supervisord set.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemonkit/result.hpp"

namespace dk::import_detail {

// supervisord's dict_of_key_value_pairs: KEY=VAL,KEY2="VAL 2" (quotes
// stripped from the value's ends; the token after each pair, a ',' as a
// rule, is skipped unread). A key given twice keeps its first place.
daemonkit::result<std::vector<std::pair<std::string, std::string>>> key_value_pairs(std::string_view s);

}  // namespace dk::import_detail
