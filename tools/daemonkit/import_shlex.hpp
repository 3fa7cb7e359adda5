// SPDX-License-Identifier: MIT
// Python's shlex, both ways supervisord uses it, for `daemonkit import`
// (import_file.hpp): shlex.split turns a program's `command` into its argv
// (supervisord runs no shell, so the words are exactly the program's
// arguments), and shlex.shlex's tokens are what supervisord's environment=
// parser reads (import_environment.hpp). The two modes quote and comment
// differently, and daemonkit must split as supervisord does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemonkit/result.hpp"

namespace dk::import_detail {

// Python's shlex.split(s) (posix mode, no comments): how supervisord turns
// `command` into the program's argv. Errors as shlex words them. An
// instance_mark (import_expand.hpp) in quotes or after a backslash becomes a
// quoted_instance_mark: the number it stands for must not split the word.
daemonkit::result<std::vector<std::string>> shlex_split(std::string_view s);

// Python's shlex.shlex(s) tokens in its default non-posix mode, with
// supervisord's extra word characters "/.+-():": words, quoted strings (the
// quotes kept, no escapes), and every other character a token of its own;
// '#' comments to the end of the line. An instance_mark is a word character.
daemonkit::result<std::vector<std::string>> shlex_tokens(std::string_view s);

}  // namespace dk::import_detail
