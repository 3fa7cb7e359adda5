// SPDX-License-Identifier: MIT
// Python's shlex as supervisord uses it (import_shlex.hpp).
#include "import_shlex.hpp"

#include <utility>

#include "import_expand.hpp"
#include "import_text.hpp"

namespace dk::import_detail {

using daemonkit::errc;
using daemonkit::make_error;

daemonkit::result<std::vector<std::string>> shlex_split(std::string_view s) {
  std::vector<std::string> words;
  std::string token;
  bool quoted = false, in_word = false;
  char state = ' ';  // ' ' between words, 'a' in a word, '\'' or '"' in quotes
  auto is_ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (state == '\'' || state == '"') {
      if (c == state) {
        state = 'a';
      } else if (c == '\\' && state == '"') {
        // In double quotes a backslash escapes only '"' and '\'.
        if (i + 1 == s.size()) return make_error(errc::invalid_argument, "No escaped character");
        char next = s[++i];
        if (next != '"' && next != '\\') token += '\\';
        token += next == instance_mark ? quoted_instance_mark : next;
      } else {
        token += c == instance_mark ? quoted_instance_mark : c;
      }
      continue;
    }
    if (is_ws(c)) {
      if (in_word || quoted) words.push_back(std::move(token));
      token.clear();
      quoted = in_word = false;
      state = ' ';
    } else if (c == '\\') {
      if (i + 1 == s.size()) return make_error(errc::invalid_argument, "No escaped character");
      ++i;
      token += s[i] == instance_mark ? quoted_instance_mark : s[i];
      in_word = true;
      state = 'a';
    } else if (c == '\'' || c == '"') {
      state = c;
      quoted = in_word = true;
    } else {
      token += c;
      in_word = true;
      state = 'a';
    }
  }
  if (state == '\'' || state == '"') return make_error(errc::invalid_argument, "No closing quotation");
  if (in_word || quoted) words.push_back(std::move(token));
  return words;
}

daemonkit::result<std::vector<std::string>> shlex_tokens(std::string_view s) {
  auto word_char = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           std::string_view("/.+-():").find(c) != std::string_view::npos || c == instance_mark;
  };
  auto is_ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  std::vector<std::string> tokens;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (is_ws(c)) {
      ++i;
    } else if (c == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '\'' || c == '"') {
      size_t end = s.find(c, i + 1);
      if (end == std::string_view::npos) return make_error(errc::invalid_argument, "No closing quotation");
      tokens.emplace_back(s.substr(i, end + 1 - i));
      i = end + 1;
    } else if (word_char(c)) {
      // Non-posix: a quote inside a word is part of it, and a comment
      // inside one skips the rest of the line, the word going on after it.
      std::string word;
      while (i < s.size()) {
        if (s[i] == '#') {
          size_t eol = s.find('\n', i);
          i = eol == std::string_view::npos ? s.size() : eol + 1;
        } else if (word_char(s[i]) || s[i] == '\'' || s[i] == '"') {
          word += s[i++];
        } else {
          break;
        }
      }
      tokens.push_back(std::move(word));
    } else {
      size_t n = char_length(s, i);
      tokens.emplace_back(s.substr(i, n));
      i += n;
    }
  }
  return tokens;
}

}  // namespace dk::import_detail
