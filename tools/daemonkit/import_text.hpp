// SPDX-License-Identifier: MIT
// Text as Python sees it, for `daemonkit import` (import_file.hpp).
// supervisord reads its config as Python text: one character is one code
// point, whitespace is what str.isspace() says (configparser's strip() and
// \s follow it), lines end at \n, \r\n or \r, and numbers and booleans are
// what int() and supervisord's boolean() take. Reading the file any other
// way would import a different config than the one supervisord runs.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dk::import_detail {

// How many bytes the character at s[i] takes: its UTF-8 sequence, or 1 for
// a byte that starts none.
size_t char_length(std::string_view s, size_t i);
// The code point of the valid UTF-8 sequence of n bytes at p.
unsigned code_point(const char* p, size_t n);
// How many bytes the character at s[i] takes when it is whitespace to
// Python, else 0.
size_t space_at(std::string_view s, size_t i);
// The same for the character that ends at s[end].
size_t space_before(std::string_view s, size_t end);

std::string_view strip(std::string_view s);
std::string_view rstrip(std::string_view s);
// A-Z to a-z, every other byte as it is.
std::string lower(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
// Lines as Python's universal newlines split them: \n, \r\n and \r.
std::vector<std::string_view> split_lines(std::string_view text);

// Python's int(): surrounding whitespace, a sign, digits with single
// underscores between them.
std::optional<long long> py_int(std::string_view s);
// supervisord's boolean(): yes/true/on/1 and no/false/off/0, any case.
std::optional<bool> py_bool(std::string_view s);

}  // namespace dk::import_detail
