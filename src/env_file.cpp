// SPDX-License-Identifier: MIT
#include "daemonkit/env_file.hpp"

#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unordered_map>

#include "daemonkit/detail/trusted_path.hpp"
#include "daemonkit/unique_fd.hpp"
#include "sys/sys.hpp"

namespace daemonkit {

namespace {

constexpr std::size_t max_quoted_name = 64;

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

bool is_valid_name(std::string_view s) {
  if (s.empty() || !is_name_start(s.front())) return false;
  for (char c : s) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

// Quotes user text for a one-line message: cut long, control bytes escaped,
// so a hostile file cannot put terminal escapes into our error output.
std::string quote(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "'";
  for (std::size_t i = 0; i < s.size() && i < max_quoted_name; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x7f || c == '\'' || c == '\\') {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > max_quoted_name) out += "...";
  out += '\'';
  return out;
}

error line_error(std::size_t line, const std::string& what) {
  return make_error(errc::invalid_argument, "line " + std::to_string(line) + ": " + what);
}

// The limits that make the rest of the parser safe to run: no NUL, no huge
// line. Checked line by line so the error names the first offending line.
result<void> check_limits(std::string_view content) {
  if (content.size() > env_file_max_size) {
    return make_error(errc::invalid_argument, "env file larger than " + std::to_string(env_file_max_size) + " bytes");
  }
  std::size_t line = 1;
  std::size_t pos = 0;
  while (pos < content.size()) {
    const char* start = content.data() + pos;
    std::size_t left = content.size() - pos;
    const void* nl = std::memchr(start, '\n', left);
    std::size_t len = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - start) : left;
    if (std::memchr(start, '\0', len) != nullptr) return line_error(line, "NUL byte");
    if (len > env_file_max_line) {
      return line_error(line, "line longer than " + std::to_string(env_file_max_line) + " bytes");
    }
    pos += len + 1;
    ++line;
  }
  return {};
}

// A cursor over the content that counts lines.
class parser {
 public:
  explicit parser(std::string_view text) : text_(text) {}

  result<std::vector<std::string>> run() {
    std::vector<std::string> out;
    std::unordered_map<std::string, std::size_t> index;  // key -> position in out
    for (;;) {
      skip_blanks();
      if (at_end()) break;
      char c = peek();
      if (c == '\n') {
        next_line();
        continue;
      }
      if (c == '#' || c == ';') {
        skip_to_next_line();
        continue;
      }
      std::string key;
      std::string value;
      if (auto r = parse_assignment(key, value); !r) return std::move(r).err();
      auto [it, inserted] = index.try_emplace(key, out.size());
      std::string entry = key + "=" + value;
      if (inserted) {
        out.push_back(std::move(entry));
      } else {
        out[it->second] = std::move(entry);
      }
    }
    return out;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  void skip_blanks() {
    while (!at_end() && is_blank(peek())) ++pos_;
  }
  void next_line() {
    ++pos_;
    ++line_;
  }
  void skip_to_next_line() {
    while (!at_end() && peek() != '\n') ++pos_;
    if (!at_end()) next_line();
  }
  // The rest of the current physical line, without its newline.
  std::string_view rest_of_line() const {
    std::size_t nl = text_.find('\n', pos_);
    return text_.substr(pos_, nl == std::string_view::npos ? std::string_view::npos : nl - pos_);
  }

  // At the first non-blank byte of a logical line; consumes it with its newline.
  result<void> parse_assignment(std::string& key, std::string& value) {
    std::string_view line = rest_of_line();
    if (line.size() > 6 && line.substr(0, 6) == "export" && (line[6] == ' ' || line[6] == '\t')) {
      pos_ += 6;
      skip_blanks();
      line = rest_of_line();
    }
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos)
      return line_error(line_, "expected KEY=VALUE");  // the line is not quoted back: it may be a secret
    std::string_view name = line.substr(0, eq);
    while (!name.empty() && is_blank(name.back())) name.remove_suffix(1);
    if (!is_valid_name(name)) return line_error(line_, "invalid variable name " + quote(name));
    key.assign(name);
    pos_ += eq + 1;
    skip_blanks();
    if (at_end()) return {};
    if (peek() == '\'') return parse_single_quoted(value);
    if (peek() == '"') return parse_double_quoted(value);
    parse_unquoted(value);
    return {};
  }

  void parse_unquoted(std::string& value) {
    for (;;) {
      std::string_view piece = rest_of_line();
      pos_ += piece.size();
      std::string_view body = piece;
      if (!body.empty() && body.back() == '\r') body.remove_suffix(1);
      bool continued = !body.empty() && body.back() == '\\';
      if (continued) body.remove_suffix(1);
      value.append(body);
      if (!at_end()) next_line();
      // A backslash on the last line continues into nothing.
      if (!continued || at_end()) break;
    }
    while (!value.empty() && is_blank(value.back())) value.pop_back();
  }

  result<void> parse_single_quoted(std::string& value) {
    std::size_t open_line = line_;
    ++pos_;
    std::size_t close = text_.find('\'', pos_);
    if (close == std::string_view::npos) return line_error(open_line, "unterminated single quote");
    std::string_view body = text_.substr(pos_, close - pos_);
    for (char c : body) {
      if (c == '\n') ++line_;
    }
    value.assign(body);
    pos_ = close + 1;
    return end_quoted();
  }

  result<void> parse_double_quoted(std::string& value) {
    std::size_t open_line = line_;
    ++pos_;
    for (;;) {
      if (at_end()) return line_error(open_line, "unterminated double quote");
      char c = peek();
      ++pos_;
      if (c == '"') break;
      if (c == '\n') ++line_;
      if (c != '\\') {
        value += c;
        continue;
      }
      if (at_end()) return line_error(open_line, "unterminated double quote");
      char e = peek();
      ++pos_;
      switch (e) {
        case '"': value += '"'; break;
        case '\\': value += '\\'; break;
        case '$': value += '$'; break;
        case 'n': value += '\n'; break;
        case 't': value += '\t'; break;
        case '\n': ++line_; break;  // backslash-newline: the line continues
        default:
          value += '\\';
          value += e;
          break;
      }
    }
    return end_quoted();
  }

  // After a closing quote: only blanks until the end of the line.
  result<void> end_quoted() {
    skip_blanks();
    if (at_end()) return {};
    if (peek() != '\n') return line_error(line_, "unexpected text after closing quote");
    next_line();
    return {};
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

}  // namespace

result<std::vector<std::string>> parse_env_file(std::string_view content) {
  if (auto r = check_limits(content); !r) return std::move(r).err();
  return parser(content).run();
}

result<std::vector<std::string>> read_env_file(const std::string& path, const credentials* service_user) {
  const std::string what = "cannot read env file " + path;
  // Root reads the file for a service that may run as another user: a path
  // through anything another user controls could hand that service a
  // root-only file (see trusted_path.hpp). Components the service's user
  // owns are read with that user's credentials; anyone else's are refused.
  path_trust trust;
  trust.check_owners = ::geteuid() == 0;
  if (service_user != nullptr && service_user->uid != ::geteuid()) trust.service_user = service_user;
  auto where = locate_checked_file(path, trust);
  if (!where) {
    error e = std::move(where).err();
    e.context = what + ": " + e.context;
    return e;
  }
  auto as = fs_identity_scope::enter(where->dir.service_owned ? service_user : nullptr);
  if (!as) {
    error e = std::move(as).err();
    e.context = what + ": " + e.context;
    return e;
  }
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  unique_fd fd(sys::openat(where->dir.fd.get(), where->name.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW));
  if (!fd) return system_error(what);
  uid_t owner = service_user != nullptr ? service_user->uid : ::geteuid();
  if (auto r = check_opened_file(fd.get(), where->dir.shared, owner, false, what); !r) return std::move(r).err();
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return system_error(what);
  auto too_large = [&] {
    return make_error(errc::invalid_argument, what + ": larger than " + std::to_string(env_file_max_size) + " bytes");
  };
  if (static_cast<std::uint64_t>(st.st_size) > env_file_max_size) return too_large();

  // st_size is a hint (files in /proc say 0; a file may grow meanwhile):
  // read until EOF, but never more than the cap plus one byte.
  std::string content;
  std::size_t want = static_cast<std::size_t>(st.st_size) + 1;
  for (;;) {
    std::size_t have = content.size();
    if (want > env_file_max_size + 1) want = env_file_max_size + 1;
    content.resize(want);
    ssize_t n = sys::read_full(fd.get(), content.data() + have, want - have);
    if (n < 0) return system_error(what);
    content.resize(have + static_cast<std::size_t>(n));
    if (content.size() > env_file_max_size) return too_large();
    if (content.size() < want) break;  // EOF
    want = want * 2;
  }

  auto parsed = parse_env_file(content);
  if (!parsed) {
    error e = std::move(parsed).err();
    e.context = "env file " + path + ": " + e.context;
    return e;
  }
  return parsed;
}

}  // namespace daemonkit
