// SPDX-License-Identifier: MIT
#include "import_file.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <map>
#include <set>
#include <utility>

#include "daemonkit/signal_name.hpp"
#include "daemonkit/text_escape.hpp"
#include "daemonkit/units.hpp"

namespace dk {

namespace {

using daemonkit::errc;
using daemonkit::make_error;

// ---------------------------------------------------------------- text

// How many bytes the character at s[i] takes: its UTF-8 sequence, or 1 for
// a byte that starts none (Python reads the config as text: one character
// is one code point).
size_t char_length(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
  if (n == 1 || i + n > s.size() || !daemonkit::is_valid_utf8(s.substr(i, n))) return 1;
  return n;
}

// The code point of the valid UTF-8 sequence of n bytes at p.
unsigned code_point(const char* p, size_t n) {
  auto b = [&](size_t i) { return static_cast<unsigned>(static_cast<unsigned char>(p[i])); };
  if (n == 1) return b(0);
  if (n == 2) return ((b(0) & 0x1fU) << 6) | (b(1) & 0x3fU);
  if (n == 3) return ((b(0) & 0x0fU) << 12) | ((b(1) & 0x3fU) << 6) | (b(2) & 0x3fU);
  return ((b(0) & 0x07U) << 18) | ((b(1) & 0x3fU) << 12) | ((b(2) & 0x3fU) << 6) | (b(3) & 0x3fU);
}

// How many bytes the character at s[i] takes when it is whitespace to
// Python (str.isspace(), which configparser's strip() and \s follow:
// supervisord reads its config as text), else 0.
size_t space_at(std::string_view s, size_t i) {
  size_t n = char_length(s, i);
  auto first = static_cast<unsigned char>(s[i]);
  if (n == 1 && first >= 0x80) return 0;
  unsigned cp = code_point(s.data() + i, n);
  bool space = cp == ' ' || (cp >= '\t' && cp <= '\r') || (cp >= 0x1c && cp <= 0x1f) || cp == 0x85 || cp == 0xa0 ||
               cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
               cp == 0x205f || cp == 0x3000;
  return space ? n : 0;
}

// The same for the character that ends at s[end].
size_t space_before(std::string_view s, size_t end) {
  for (size_t n = 1; n <= 4 && n <= end; ++n) {
    auto c = static_cast<unsigned char>(s[end - n]);
    if (c >= 0x80 && c < 0xc0) continue;  // inside a sequence: look further back
    return char_length(s, end - n) == n ? space_at(s, end - n) : 0;
  }
  return 0;
}

std::string_view strip(std::string_view s) {
  while (!s.empty() && space_at(s, 0) != 0) s.remove_prefix(space_at(s, 0));
  while (!s.empty() && space_before(s, s.size()) != 0) s.remove_suffix(space_before(s, s.size()));
  return s;
}

std::string_view rstrip(std::string_view s) {
  while (!s.empty() && space_before(s, s.size()) != 0) s.remove_suffix(space_before(s, s.size()));
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Lines as Python's universal newlines split them: \n, \r\n and \r.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\n' && text[i] != '\r') continue;
    lines.push_back(text.substr(start, i - start));
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    start = i + 1;
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

// Python's int(): surrounding whitespace, a sign, digits with single
// underscores between them.
std::optional<long long> py_int(std::string_view s) {
  s = strip(s);
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.front() == '_' || s.back() == '_') return std::nullopt;
  long long v = 0;
  char prev = '0';
  for (char c : s) {
    if (c == '_') {
      if (prev == '_') return std::nullopt;
    } else if (c >= '0' && c <= '9') {
      if (v > (9'000'000'000'000'000'000LL - (c - '0')) / 10) return std::nullopt;
      v = v * 10 + (c - '0');
    } else {
      return std::nullopt;
    }
    prev = c;
  }
  return negative ? -v : v;
}

// supervisord's boolean(): yes/true/on/1 and no/false/off/0, any case.
std::optional<bool> py_bool(std::string_view s) {
  std::string v = lower(strip(s));
  if (v == "yes" || v == "true" || v == "on" || v == "1") return true;
  if (v == "no" || v == "false" || v == "off" || v == "0") return false;
  return std::nullopt;
}

// ---------------------------------------------------------------- TOML out

// Code points that TOML requires escaped (C0, DEL), and those that would
// drive or reorder the terminal showing the file (C1, bidirectional
// controls, line and paragraph separators): written as \uXXXX.
bool needs_escape(unsigned cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
         (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

// s as a TOML basic string; nullopt when s is not UTF-8 (TOML holds text
// only).
std::optional<std::string> toml_string(std::string_view s) {
  if (!daemonkit::is_valid_utf8(s)) return std::nullopt;
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    size_t n = char_length(s, i);
    unsigned cp = code_point(s.data() + i, n);
    if (cp == '"') {
      out += "\\\"";
    } else if (cp == '\\') {
      out += "\\\\";
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (needs_escape(cp)) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "\\u%04X", cp);
      out += hex;
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  out += '"';
  return out;
}

// A key: bare when it can be, else quoted.
std::optional<std::string> toml_key(std::string_view k) {
  bool bare = !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  if (bare) return std::string(k);
  return toml_string(k);
}

// Text for a comment: one line, valid UTF-8, nothing that drives a terminal.
std::string comment(std::string_view text) { return "# " + daemonkit::escape_for_terminal(text); }

// "50M", "10K", or the bytes as a TOML integer.
std::string toml_size(long long bytes) {
  constexpr long long k = 1024;
  if (bytes % (k * k * k) == 0) return "\"" + std::to_string(bytes / (k * k * k)) + "G\"";
  if (bytes % (k * k) == 0) return "\"" + std::to_string(bytes / (k * k)) + "M\"";
  if (bytes % k == 0) return "\"" + std::to_string(bytes / k) + "K\"";
  return std::to_string(bytes);
}

// ---------------------------------------------------------------- names

// 1-64 of A-Za-z0-9._-, not starting with '.': a daemonkit name without '@'
// (which names instances). Every other character becomes '-'.
std::string daemonkit_name(std::string_view wanted) {
  std::string out;
  for (size_t i = 0; i < wanted.size();) {
    char c = wanted[i];
    bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    out += ok ? c : '-';
    i += char_length(wanted, i);
  }
  if (out.empty()) out = "service";
  if (out[0] == '.') out[0] = '-';
  if (out.size() > 64) out.resize(64);
  return out;
}

// A name no other service has: NAME, else NAME-2, NAME-3, ...
std::string unique_name(const std::string& name, const std::set<std::string>& taken) {
  if (taken.count(name) == 0) return name;
  for (int n = 2;; ++n) {
    std::string suffix = "-" + std::to_string(n);
    std::string candidate = name.substr(0, 64 - suffix.size()) + suffix;
    if (taken.count(candidate) == 0) return candidate;
  }
}

// ---------------------------------------------------------------- INI

struct ini_value {
  std::string key;
  std::string value;
  int line = 0;
};

struct ini_section {
  std::string name;
  int line = 0;
  std::vector<ini_value> values;                     // in the order the keys first appear
  std::map<std::string, size_t, std::less<>> index;  // key -> values[i]

  const ini_value* find(std::string_view key) const {
    auto it = index.find(key);
    return it == index.end() ? nullptr : &values[it->second];
  }
};

struct ini_file {
  std::vector<ini_section> sections;  // in the order they first appear
  ini_section defaults;               // [DEFAULT]: every section's fallback
  int error_line = 0;                 // the first line configparser refuses (0: none)
  std::string error;
};

// Where configparser's inline comment starts (';' or '#' at the start of the
// line or after whitespace), found its way: round by round, the next
// occurrence of each prefix, stopping at the first round where one counts.
size_t inline_comment_start(std::string_view line) {
  constexpr char prefixes[2] = {';', '#'};
  size_t from[2] = {0, 0};
  bool active[2] = {true, true};
  size_t start = std::string_view::npos;
  while (start == std::string_view::npos && (active[0] || active[1])) {
    for (int k = 0; k < 2; ++k) {
      if (!active[k]) continue;
      size_t at = line.find(prefixes[k], from[k]);
      if (at == std::string_view::npos) {
        active[k] = false;
        continue;
      }
      from[k] = at + 1;
      if (at == 0 || space_before(line, at) != 0) start = std::min(start, at);
    }
  }
  return start;
}

// Python 3's configparser as supervisord sets it up (RawConfigParser,
// inline_comment_prefixes ';' and '#', strict=False): keys lowercased,
// values stripped, indented lines continue the value above, a section or key
// given twice merges (the later value wins, in the earlier place).
ini_file parse_ini(std::string_view text) {
  ini_file ini;
  std::map<std::string, size_t> index;
  constexpr long no_section = -2, default_section = -1;
  long cur = no_section;
  long opt = -1;  // the value continuation lines go to, in section cur
  size_t indent_level = 0;
  auto fail = [&](int line, std::string why) {
    if (ini.error_line == 0) {
      ini.error_line = line;
      ini.error = std::move(why);
    }
  };
  auto section_at = [&](long i) -> ini_section& {
    return i == default_section ? ini.defaults : ini.sections[static_cast<size_t>(i)];
  };
  int lineno = 0;
  for (std::string_view line : split_lines(text)) {
    ++lineno;
    size_t comment_start = inline_comment_start(line);
    std::string_view stripped = strip(line);
    if (starts_with(stripped, "#") || starts_with(stripped, ";")) comment_start = 0;
    std::string_view value = strip(line.substr(0, comment_start));
    if (value.empty()) {
      // An empty line inside a value is part of it (trailing ones are
      // stripped at the end); a comment line is not.
      if (comment_start == std::string_view::npos && cur != no_section && opt >= 0) {
        section_at(cur).values[static_cast<size_t>(opt)].value += '\n';
      }
      continue;
    }
    // In characters, as Python counts.
    size_t indent = 0;
    for (size_t at = 0; at < line.size() && space_at(line, at) != 0; at += space_at(line, at)) ++indent;
    if (cur != no_section && opt >= 0 && indent > indent_level) {
      auto& v = section_at(cur).values[static_cast<size_t>(opt)];
      v.value += '\n';
      v.value.append(value);
      continue;
    }
    indent_level = indent;
    size_t close = value.rfind(']');
    if (value[0] == '[' && close != std::string_view::npos && close >= 2) {
      std::string name(value.substr(1, close - 1));
      opt = -1;
      if (name == "DEFAULT") {
        cur = default_section;
        continue;
      }
      auto [it, added] = index.emplace(name, ini.sections.size());
      if (added) ini.sections.push_back({name, lineno, {}, {}});
      cur = static_cast<long>(it->second);
      continue;
    }
    if (cur == no_section) {
      fail(lineno, "a line before the first [section]");
      continue;
    }
    size_t delim = value.find_first_of("=:");
    if (delim == std::string_view::npos) {
      fail(lineno, "not a KEY = VALUE line");
      continue;
    }
    std::string key = lower(rstrip(value.substr(0, delim)));
    if (key.empty()) {
      fail(lineno, "a value without a key");
      continue;
    }
    auto& sec = section_at(cur);
    std::string val(strip(value.substr(delim + 1)));
    auto [at, added] = sec.index.emplace(key, sec.values.size());
    if (added) {
      sec.values.push_back({key, std::move(val), lineno});
    } else {
      sec.values[at->second].value = std::move(val);
      sec.values[at->second].line = lineno;
    }
    opt = static_cast<long>(at->second);
  }
  auto finish = [](ini_section& s) {
    for (auto& v : s.values) v.value = std::string(rstrip(v.value));
  };
  finish(ini.defaults);
  for (auto& s : ini.sections) finish(s);
  return ini;
}

// ---------------------------------------------------------------- expansions

// Stands for supervisord's %(process_num)... in a value that differs per
// instance; never in a value that held it itself (expand refuses those).
// shlex_split turns a mark it met inside quotes into quoted_instance_mark:
// supervisord splits words after the expansion, so padding spaces split a
// word only where the number was not quoted.
constexpr char instance_mark = '\x01';
constexpr char quoted_instance_mark = '\x02';
constexpr std::string_view instance_marks = "\x01\x02";

struct expansion_names {
  std::string here;
  std::string program_name;
  std::string group_name;
  long long numprocs = 1;
  long long numprocs_start = 0;
  bool per_instance = false;  // numprocs > 1: process_num differs per instance
  const std::function<std::optional<std::string>(const std::string&)>* getenv = nullptr;
};

struct expanded {
  std::string text;
  std::vector<std::string> notes;  // what a reader must know: kept as written, taken from here
  // One printf(1) format per instance_mark in text, in order ("" for a plain
  // number).
  std::vector<std::string> instance_formats;
  bool per_instance() const { return !instance_formats.empty(); }
};

// A Python %-format after "%(name)": flags, width, precision, conversion.
struct format_spec {
  std::string flags, width, precision;  // precision: digits after '.', or empty
  bool has_precision = false;
  char conversion = 0;
  size_t length = 0;  // characters taken after the ')'
};

std::optional<format_spec> parse_format_spec(std::string_view s) {
  format_spec f;
  size_t i = 0;
  while (i < s.size() && std::string_view("#0- +").find(s[i]) != std::string_view::npos) f.flags += s[i++];
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') f.width += s[i++];
  if (i < s.size() && s[i] == '.') {
    f.has_precision = true;
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') f.precision += s[i++];
  }
  // A width or precision in the thousands is no setting anybody wrote.
  if (f.width.size() > 3 || f.precision.size() > 3) return std::nullopt;
  while (i < s.size() && (s[i] == 'h' || s[i] == 'l' || s[i] == 'L')) ++i;
  if (i == s.size() || std::string_view("diouxXeEfFgGcrsa").find(s[i]) == std::string_view::npos) return std::nullopt;
  f.conversion = s[i++];
  f.length = i;
  return f;
}

size_t count_chars(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); i += char_length(s, i)) ++n;
  return n;
}

std::string pad(std::string body, const format_spec& f, bool zeros_allowed, size_t sign_length) {
  size_t width = f.width.empty() ? 0 : std::stoul(f.width);
  size_t have = count_chars(body);
  if (have >= width) return body;
  size_t missing = width - have;
  if (f.flags.find('-') != std::string::npos) return body + std::string(missing, ' ');
  if (zeros_allowed && f.flags.find('0') != std::string::npos) {
    return body.insert(sign_length, std::string(missing, '0'));
  }
  return std::string(missing, ' ') + body;
}

// A string value through %s (precision truncates, width pads); nullopt for
// a conversion this does not do as Python does.
std::optional<std::string> format_text(const std::string& value, const format_spec& f) {
  if (f.conversion != 's') return std::nullopt;
  std::string body = value;
  if (f.has_precision) {
    size_t keep = f.precision.empty() ? 0 : std::stoul(f.precision);
    size_t at = 0;
    for (size_t n = 0; n < keep && at < body.size(); ++n) at += char_length(body, at);
    body.resize(at);
  }
  return pad(body, f, false, 0);
}

// An integer through %d, %i, %u, %s, %r, %x, %X, %o.
std::optional<std::string> format_number(long long v, const format_spec& f) {
  char c = f.conversion;
  if (c == 's' || c == 'r' || c == 'a')
    return format_text(std::to_string(v), format_spec{f.flags, f.width, f.precision, f.has_precision, 's', 0});
  if (std::string_view("diuxXo").find(c) == std::string_view::npos || f.flags.find('#') != std::string::npos) {
    return std::nullopt;
  }
  unsigned base = c == 'x' || c == 'X' ? 16U : c == 'o' ? 8U : 10U;
  unsigned long long u = v < 0 ? 0ULL - static_cast<unsigned long long>(v) : static_cast<unsigned long long>(v);
  std::string digits;
  do {
    unsigned d = static_cast<unsigned>(u % base);
    digits.insert(digits.begin(), static_cast<char>(d < 10 ? '0' + d : (c == 'X' ? 'A' : 'a') + d - 10));
    u /= base;
  } while (u != 0);
  if (f.has_precision) {
    size_t p = f.precision.empty() ? 0 : std::stoul(f.precision);
    if (digits.size() < p) digits.insert(0, p - digits.size(), '0');
  }
  std::string sign = v < 0                                    ? "-"
                     : f.flags.find('+') != std::string::npos ? "+"
                     : f.flags.find(' ') != std::string::npos ? " "
                                                              : "";
  return pad(sign + digits, f, true, sign.size());
}

// The printf(1) format for a per-instance number with f ("" for a plain %d).
// Where printf(1) and Python part, nullopt: a negative number in hex or
// octal (Python writes -2 as -2), a zero flag with a precision, %s with a
// precision (Python cuts the text).
std::optional<std::string> printf_format(const format_spec& f, bool may_be_negative) {
  char c = f.conversion;
  std::string flags = f.flags;
  if (c == 's' || c == 'r' || c == 'a') {
    if (f.has_precision) return std::nullopt;
    // Python pads text with spaces only, and signs no text.
    flags = flags.find('-') != std::string::npos ? "-" : "";
  }
  if (c == 's' || c == 'r' || c == 'a' || c == 'i' || c == 'u') c = 'd';
  if (std::string_view("dxXo").find(c) == std::string_view::npos || flags.find('#') != std::string::npos ||
      (c != 'd' && may_be_negative) || (f.has_precision && flags.find('0') != std::string::npos)) {
    return std::nullopt;
  }
  if (flags.empty() && f.width.empty() && !f.has_precision && c == 'd') return std::string();
  std::string fmt = "%" + flags + f.width;
  if (f.has_precision) fmt += "." + f.precision;
  return fmt + c;
}

// value with supervisord's expansions done: %% is a %; %(here)s,
// %(program_name)s, %(group_name)s, %(numprocs)d, %(process_num)d (a number,
// or an instance_mark when it differs per instance) and %(ENV_X)s (from
// names.getenv, said in a note). What cannot be expanded here stays as
// written, with a note.
expanded expand(std::string_view value, const expansion_names& names) {
  expanded out;
  bool marks_allowed = value.find_first_of(instance_marks) == std::string_view::npos;
  auto add_note = [&](std::string note) {
    if (std::find(out.notes.begin(), out.notes.end(), note) == out.notes.end()) out.notes.push_back(std::move(note));
  };
  for (size_t i = 0; i < value.size();) {
    if (value[i] != '%') {
      out.text += value[i++];
      continue;
    }
    if (i + 1 < value.size() && value[i + 1] == '%') {
      out.text += '%';
      i += 2;
      continue;
    }
    size_t close = value.find(')', i);
    if (i + 1 >= value.size() || value[i + 1] != '(' || close == std::string_view::npos) {
      add_note("a lone % is kept as written (supervisord reads % as the start of a %(name)s, and wants %% for a %)");
      out.text += value[i++];
      continue;
    }
    std::string name(value.substr(i + 2, close - i - 2));
    auto spec = parse_format_spec(value.substr(close + 1));
    std::string_view whole = value.substr(i, close + 1 - i + (spec ? spec->length : 0));
    auto keep = [&](const std::string& why) {
      add_note(std::string(whole) + " is kept as written (" + why + ")");
      out.text.append(whole);
      i += whole.size();
    };
    if (!spec) {
      keep("not a format supervisord expands");
      continue;
    }
    std::optional<std::string> done;
    if (name == "here" || name == "program_name" || name == "group_name") {
      const std::string& v = name == "here"           ? names.here
                             : name == "program_name" ? names.program_name
                                                      : names.group_name;
      done = format_text(v, *spec);
    } else if (name == "numprocs") {
      done = format_number(names.numprocs, *spec);
    } else if (name == "process_num") {
      if (!names.per_instance) {
        done = format_number(names.numprocs_start, *spec);
      } else if (auto fmt = printf_format(*spec, names.numprocs_start < 0); fmt && marks_allowed) {
        out.text += instance_mark;
        out.instance_formats.push_back(*fmt);
        i += whole.size();
        continue;
      }
    } else if (starts_with(name, "ENV_")) {
      std::string var = name.substr(4);
      std::optional<std::string> v = names.getenv && *names.getenv ? (*names.getenv)(var) : std::nullopt;
      if (!v) {
        keep(var + " is not set in daemonkit import's environment");
        continue;
      }
      done = format_text(*v, *spec);
      if (done) {
        add_note(std::string(whole) + " became '" + *v +
                 "', from daemonkit import's environment (supervisord takes it from its own)");
      }
    } else if (name == "host_node_name") {
      keep("supervisord puts the host's name there; daemonkit expands nothing");
      continue;
    } else {
      keep("not a name supervisord expands");
      continue;
    }
    if (!done) {
      keep("a format this import does not do");
      continue;
    }
    out.text += *done;
    i += whole.size();
  }
  return out;
}

// ---------------------------------------------------------------- shlex

// Python's shlex.split(s) (posix mode, no comments): how supervisord turns
// `command` into the program's argv. Errors as shlex words them.
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

// Python's shlex.shlex(s) tokens in its default non-posix mode, with
// supervisord's extra word characters "/.+-():": words, quoted strings (the
// quotes kept, no escapes), and every other character a token of its own;
// '#' comments to the end of the line.
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

// supervisord's dict_of_key_value_pairs: KEY=VAL,KEY2="VAL 2" (quotes
// stripped from the value's ends; the token after each pair, a ',' as a
// rule, is skipped unread). A key given twice keeps its first place.
daemonkit::result<std::vector<std::pair<std::string, std::string>>> key_value_pairs(std::string_view s) {
  auto lexed = shlex_tokens(s);
  if (!lexed) return std::move(lexed).err();
  const auto& tokens = *lexed;
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = 0; i < tokens.size(); i += 4) {
    if (i + 2 >= tokens.size() || tokens[i + 1] != "=") {
      return make_error(errc::invalid_argument, "unexpected end of key/value pairs");
    }
    std::string_view v = tokens[i + 2];
    while (!v.empty() && (v.front() == '\'' || v.front() == '"')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '\'' || v.back() == '"')) v.remove_suffix(1);
    auto it = std::find_if(pairs.begin(), pairs.end(), [&](const auto& p) { return p.first == tokens[i]; });
    if (it != pairs.end()) it->second = std::string(v);
    else pairs.emplace_back(tokens[i], std::string(v));
  }
  return pairs;
}

// ---------------------------------------------------------------- sh

bool sh_plain(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("@%+=:,./_-").find(c) != std::string_view::npos;
  });
}

std::string sh_quote(std::string_view s) {
  if (sh_plain(s)) return std::string(s);
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

// argv whose words hold instance marks, as one /bin/sh command: each mark
// becomes supervisord's process_num for the instance, computed from the
// DAEMONKIT_INSTANCE (1, 2, ...) daemonkit gives it; exec keeps the program
// the service's main process.
std::string instance_command(const std::vector<std::string>& argv, const std::vector<std::string>& formats,
                             long long numprocs_start) {
  long long offset = numprocs_start - 1;
  std::string number = offset == 0  ? "\"$DAEMONKIT_INSTANCE\""
                       : offset > 0 ? "\"$((DAEMONKIT_INSTANCE + " + std::to_string(offset) + "))\""
                                    : "\"$((DAEMONKIT_INSTANCE - " + std::to_string(-offset) + "))\"";
  std::string out = "exec";
  size_t next = 0;
  for (const auto& word : argv) {
    out += ' ';
    if (word.empty()) out += "''";
    size_t start = 0;
    for (;;) {
      size_t at = word.find_first_of(instance_marks, start);
      std::string_view piece = std::string_view(word).substr(start, at - start);
      if (!piece.empty()) out += sh_quote(piece);
      if (at == std::string::npos) break;
      const std::string& fmt = next < formats.size() ? formats[next] : std::string();
      ++next;
      // Unquoted where it was: supervisord splits the command into words
      // after the expansion, so a padded number's spaces split them there.
      std::string sub = "$(printf '";
      sub.append(fmt).append("' ").append(number).append(")");
      out += fmt.empty() ? number : word[at] == quoted_instance_mark ? "\"" + sub + "\"" : sub;
      start = at + 1;
    }
  }
  return out;
}

// ---------------------------------------------------------------- output

// One [services.NAME] table (or, skipped, only its comments).
struct service_out {
  std::string name;
  std::string section;  // "program:web", "web" (a Procfile's)
  bool skipped = false;
  std::string skip_reason;        // why, when skipped
  std::vector<std::string> head;  // comments under the header
  std::vector<std::string> keys;  // "key = value" lines and the notes above them
  size_t depends_at = 0;          // where in keys depends_on goes
  std::vector<std::string> lost;  // "# not carried over: ..." lines
  std::vector<std::string> depends_on;
  // supervisord's start order: (the group's priority, the program's).
  std::pair<long long, long long> level{999, 999};
  bool autostart = true;
};

struct importer {
  std::string path;
  import_context context;
  std::vector<std::string> warnings;

  void warn(int line, const std::string& text) { warnings.push_back(path + ":" + std::to_string(line) + ": " + text); }
};

std::string render_service(const service_out& s) {
  std::string out;
  auto line = [&](const std::string& l) { out.append(l).append("\n"); };
  if (s.skipped) {
    for (const auto& l : s.head) line(l);
    for (const auto& l : s.lost) line(l);
    return out;
  }
  line("[services." + *toml_key(s.name) + "]");
  for (const auto& l : s.head) line(l);
  for (size_t i = 0; i <= s.keys.size(); ++i) {
    if (i == s.depends_at && !s.depends_on.empty()) {
      std::string d = "depends_on = {";
      for (size_t k = 0; k < s.depends_on.size(); ++k) {
        d += (k == 0 ? " " : ", ") + *toml_key(s.depends_on[k]) + " = \"started\"";
      }
      line(d + " }");
    }
    if (i < s.keys.size()) line(s.keys[i]);
  }
  for (const auto& l : s.lost) line(l);
  return out;
}

// ---------------------------------------------------------------- supervisord

// The keys of a [program:x] section this import reads (others are not
// supervisord's).
const std::set<std::string>& program_keys() {
  static const std::set<std::string> keys = {"command",
                                             "process_name",
                                             "numprocs",
                                             "numprocs_start",
                                             "priority",
                                             "autostart",
                                             "startsecs",
                                             "startretries",
                                             "autorestart",
                                             "exitcodes",
                                             "stopsignal",
                                             "stopwaitsecs",
                                             "stopasgroup",
                                             "killasgroup",
                                             "user",
                                             "redirect_stderr",
                                             "stdout_logfile",
                                             "stdout_logfile_maxbytes",
                                             "stdout_logfile_backups",
                                             "stdout_capture_maxbytes",
                                             "stdout_events_enabled",
                                             "stdout_syslog",
                                             "stderr_logfile",
                                             "stderr_logfile_maxbytes",
                                             "stderr_logfile_backups",
                                             "stderr_capture_maxbytes",
                                             "stderr_events_enabled",
                                             "stderr_syslog",
                                             "environment",
                                             "directory",
                                             "umask",
                                             "serverurl"};
  return keys;
}

// Why a known key is not carried over, when it is not because of its value.
std::string why_not_carried(const std::string& key) {
  if (key == "startretries") {
    return "supervisord gives up after that many failed starts in a row; daemonkit backs off, up to "
           "respawn_max_delay, and keeps trying: set respawn_limit and respawn_window to give up";
  }
  if (key == "stdout_capture_maxbytes" || key == "stderr_capture_maxbytes" || key == "stdout_events_enabled" ||
      key == "stderr_events_enabled") {
    return "daemonkit has no event notifications";
  }
  if (key == "serverurl") return "daemonkit has no control server";
  return "not a supervisord program setting";
}

struct supervisord_group {
  std::string name;
  long long priority = 999;
};

class program_converter {
 public:
  program_converter(importer& imp, const ini_file& ini, const ini_section& section, std::string program,
                    const supervisord_group* group, service_out& out)
      : imp_(imp), ini_(ini), section_(section), out_(out) {
    names_.program_name = std::move(program);
    names_.group_name = group != nullptr ? group->name : names_.program_name;
    names_.here = imp.context.here;
    names_.getenv = &imp.context.getenv;
    group_ = group;
  }

  void convert();

 private:
  const ini_value* get(const std::string& key) {
    used_.insert(key);
    if (const auto* v = section_.find(key)) return v;
    return ini_.defaults.find(key);
  }

  std::string setting(const ini_value& v) const { return v.key + " = " + v.value; }

  void lose(const ini_value& v, const std::string& why) {
    std::string text = "not carried over: " + setting(v) + " (" + why + ")";
    out_.lost.push_back(comment(text));
    imp_.warn(v.line, out_.name + ": " + text);
  }

  // A note above the next key (and a warning).
  void note(const ini_value& v, const std::string& text) {
    out_.keys.push_back(comment(v.key + ": " + text));
    imp_.warn(v.line, out_.name + ": " + v.key + ": " + text);
  }

  // v expanded; false (and v lost) when it differs per instance and
  // per_instance_ok is false.
  std::optional<expanded> expand_value(const ini_value& v, bool per_instance_ok = false) {
    expanded e = expand(v.value, names_);
    if (e.per_instance() && !per_instance_ok) {
      lose(v,
           "it differs per instance, by %(process_num); daemonkit gives each instance DAEMONKIT_INSTANCE=1..N "
           "instead");
      return std::nullopt;
    }
    return e;
  }

  void put(const std::string& key, const std::string& toml_value, const std::string& inline_comment = "") {
    out_.keys.push_back(key + " = " + toml_value + (inline_comment.empty() ? "" : "  " + comment(inline_comment)));
  }

  // key = "text" from v (expanded), with its notes; false when it cannot be.
  bool put_string(const std::string& key, const ini_value& v, const expanded& e) {
    auto s = toml_string(e.text);
    if (!s) {
      lose(v, "not UTF-8 text, which TOML cannot hold");
      return false;
    }
    for (const auto& n : e.notes) note(v, n);
    put(key, *s);
    return true;
  }

  void path_key(const std::string& key, const ini_value& v) {
    auto e = expand_value(v);
    if (!e) return;
    if (starts_with(e->text, "~")) {
      lose(v, "supervisord expands ~ to a home directory; daemonkit does not: write the whole path");
      return;
    }
    if (!e->text.empty() && e->text[0] != '/') {
      e->notes.emplace_back(
          "a relative path: supervisord took it from its own working directory, daemonkit takes it from this "
          "file's directory");
    }
    put_string(key, v, *e);
  }

  std::optional<long long> integer(const char* key, long long fallback, long long min) {
    const auto* v = get(key);
    if (v == nullptr) return fallback;
    auto e = expand_value(*v);
    if (!e) return std::nullopt;
    auto n = py_int(e->text);
    if (!n || *n < min) {
      lose(*v, "not a number supervisord takes");
      return std::nullopt;
    }
    return n;
  }

  std::optional<bool> boolean(const char* key, bool fallback, const ini_value** given = nullptr) {
    const auto* v = get(key);
    if (given != nullptr) *given = v;
    if (v == nullptr) return fallback;
    auto e = expand_value(*v);
    if (!e) return std::nullopt;
    auto b = py_bool(e->text);
    if (!b) lose(*v, "not a boolean: true or false");
    return b;
  }

  void convert_command();
  void convert_environment();
  void convert_restart();
  void convert_stop();
  void convert_logs();
  void lose_the_rest();

  importer& imp_;
  const ini_file& ini_;
  const ini_section& section_;
  service_out& out_;
  const supervisord_group* group_ = nullptr;
  expansion_names names_;
  std::set<std::string> used_;
};

void program_converter::convert() {
  out_.head.insert(out_.head.begin(), comment("from [" + section_.name + "], line " + std::to_string(section_.line)));

  long long numprocs = integer("numprocs", 1, 0).value_or(1);
  names_.numprocs = numprocs;
  names_.numprocs_start = integer("numprocs_start", 0, -(1LL << 62)).value_or(0);
  names_.per_instance = numprocs > 1;
  if (numprocs == 0) {
    out_.skipped = true;
    out_.skip_reason = "numprocs = 0: supervisord starts no process of it";
    std::string text = "not carried over: [" + section_.name + "] (numprocs = 0: supervisord starts no process of it)";
    out_.lost.push_back(comment(text));
    imp_.warn(section_.line, text);
    return;
  }

  convert_command();
  if (out_.skipped) return;

  if (numprocs > 1) put("instances", std::to_string(numprocs));
  if (const auto* v = get("process_name")) {
    // process_name is expanded per process, never with do_expand at read.
    bool uses_num = v->value.find("%(process_num)") != std::string::npos;
    expanded e = expand(v->value, names_);
    if (numprocs > 1 && uses_num) {
      out_.keys.push_back(comment("process_name = " + v->value + ": daemonkit names the instances " + out_.name +
                                  "@1 ... " + out_.name + "@" + std::to_string(numprocs)));
    } else if (e.text != names_.program_name) {
      lose(*v, "the service is named after the program");
    }
  }

  if (const auto* v = get("directory")) path_key("chdir", *v);
  if (const auto* v = get("user")) {
    if (auto e = expand_value(*v)) put_string("user", *v, *e);
  }
  if (const auto* v = get("umask")) {
    if (auto e = expand_value(*v)) {
      // supervisord: int(value, 8).
      auto m = daemonkit::parse_umask(strip(e->text));
      if (m) {
        char text[8];
        std::snprintf(text, sizeof text, "%03o", static_cast<unsigned>(*m));
        put("umask", std::string("\"") + text + "\"");
      } else {
        lose(*v, "not an octal umask");
      }
    }
  }
  convert_environment();
  out_.depends_at = out_.keys.size();

  if (auto p = integer("priority", 999, -(1LL << 62))) out_.level = {*p, *p};
  if (group_ != nullptr) out_.level.first = group_->priority;
  const ini_value* autostart = nullptr;
  out_.autostart = boolean("autostart", true, &autostart).value_or(true);
  if (autostart != nullptr && !out_.autostart) {
    lose(*autostart,
         "daemonkit up starts every service in the file; name the ones to start instead: daemonkit up NAME...");
  }

  convert_restart();
  convert_stop();
  convert_logs();
  lose_the_rest();
}

void program_converter::convert_command() {
  auto skip = [&](int line, const std::string& why) {
    out_.skipped = true;
    out_.skip_reason = why;
    out_.head.clear();
    std::string text = "not carried over: [" + section_.name + "] (" + why + ")";
    out_.lost.push_back(comment(text));
    imp_.warn(line, text);
  };
  const auto* v = get("command");
  if (v == nullptr) return skip(section_.line, "it has no command");
  auto e = expand_value(*v, true);
  auto argv = shlex_split(e->text);
  if (!argv) return skip(v->line, "its command cannot be split into words: " + argv.err().message());
  if (argv->empty()) return skip(v->line, "its command is empty");
  if (!e->per_instance()) {
    std::string array = "[";
    for (size_t i = 0; i < argv->size(); ++i) {
      auto s = toml_string((*argv)[i]);
      if (!s) return skip(v->line, "its command is not UTF-8 text, which TOML cannot hold");
      array += (i == 0 ? "" : ", ") + *s;
    }
    for (const auto& n : e->notes) note(*v, n);
    put("command", array + "]");
    return;
  }
  std::string sh = instance_command(*argv, e->instance_formats, names_.numprocs_start);
  auto s = toml_string(sh);
  if (!s) return skip(v->line, "its command is not UTF-8 text, which TOML cannot hold");
  e->notes.push_back(
      "run by /bin/sh, which computes %(process_num) from DAEMONKIT_INSTANCE (supervisord counts from "
      "numprocs_start = " +
      std::to_string(names_.numprocs_start) + ", daemonkit from 1)");
  for (const auto& n : e->notes) note(*v, n);
  put("command", *s);
}

void program_converter::convert_environment() {
  const auto* v = get("environment");
  if (v == nullptr) return;
  auto e = expand_value(*v, true);
  auto pairs = key_value_pairs(e->text);
  if (!pairs) {
    lose(*v, "not KEY=VALUE pairs as supervisord reads them: " + pairs.err().message());
    return;
  }
  std::string table = "{";
  bool first = true;
  for (const auto& [key, value] : *pairs) {
    auto k = toml_key(key);
    auto s = toml_string(value);
    std::string what = "environment ";
    what.append(key).append("=").append(value);
    if (key.find_first_of(instance_marks) != std::string::npos ||
        value.find_first_of(instance_marks) != std::string::npos) {
      std::string text = "not carried over: " + what + " (it differs per instance, by %(process_num))";
      out_.lost.push_back(comment(text));
      imp_.warn(v->line, out_.name + ": " + text);
      continue;
    }
    if (!k || !s || key.find('=') != std::string::npos || value.find('\0') != std::string::npos) {
      std::string text = "not carried over: " + what + " (not a variable an environment can hold as text)";
      out_.lost.push_back(comment(text));
      imp_.warn(v->line, out_.name + ": " + text);
      continue;
    }
    table += (first ? " " : ", ") + *k + " = " + *s;
    first = false;
  }
  if (first) return;
  for (const auto& n : e->notes) note(*v, n);
  put("env", table + " }");
}

void program_converter::convert_restart() {
  const auto* v = get("autorestart");
  std::string mode = "unexpected";
  if (v != nullptr) {
    auto e = expand_value(*v);
    if (!e) return;
    std::string given = lower(strip(e->text));
    if (auto b = py_bool(given)) {
      mode = *b ? "true" : "false";
    } else if (given == "unexpected") {
      mode = given;
    } else {
      lose(*v, "not true, false or unexpected");
      return;
    }
  }
  if (mode == "true") put("respawn", "\"always\"");
  else if (mode == "false") put("respawn", "\"no\"");
  else put("respawn", "\"on-failure\"", v == nullptr ? "autorestart = unexpected, supervisord's default" : "");

  if (const auto* codes = get("exitcodes")) {
    auto e = expand_value(*codes);
    if (!e) return;
    std::set<long long> set;
    bool ok = true;
    std::string_view rest = e->text;
    while (ok) {
      size_t comma = rest.find(',');
      auto n = py_int(rest.substr(0, comma));
      if (n) set.insert(*n);
      ok = n.has_value();
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (!ok) lose(*codes, "not a list of exit codes");
    else if (set != std::set<long long>{0} && mode == "unexpected")
      lose(*codes, "respawn = \"on-failure\" restarts after any exit but 0");
    else if (set != std::set<long long>{0}) lose(*codes, "daemonkit counts an exit as a success when it is 0");
  }
  if (const auto* up = get("startsecs")) {
    auto e = expand_value(*up);
    auto n = e ? py_int(e->text) : std::nullopt;
    if (e && (!n || *n < 0)) lose(*up, "not a number of seconds");
    if (n && *n >= 0) {
      put("respawn_min_uptime", "\"" + std::to_string(*n) + "s\"",
          "startsecs: a run shorter than this is restarted after a backoff");
    }
  }
}

void program_converter::convert_stop() {
  if (const auto* v = get("stopsignal")) {
    if (auto e = expand_value(*v)) {
      auto sig = daemonkit::parse_signal(strip(e->text));
      if (sig) put("stop_signal", "\"" + daemonkit::signal_name(*sig) + "\"");
      else lose(*v, "not a signal");
    }
  }
  if (const auto* v = get("stopwaitsecs")) {
    auto e = expand_value(*v);
    auto n = e ? py_int(e->text) : std::nullopt;
    if (e && (!n || *n < 0)) lose(*v, "not a number of seconds");
    if (n && *n >= 0) put("stop_timeout", "\"" + std::to_string(*n) + "s\"");
  }
  // supervisord signals the main process only, unless stopasgroup (the stop
  // signal to the group) or killasgroup (SIGKILL to the group); daemonkit's
  // default, kill_mode = "group", stops the whole tree.
  const ini_value *stop_given = nullptr, *kill_given = nullptr;
  auto stop_group = boolean("stopasgroup", false, &stop_given);
  auto kill_group = boolean("killasgroup", stop_group.value_or(false), &kill_given);
  if (!stop_group || !kill_group) return;
  if (*stop_group && !*kill_group) {
    lose(*kill_given, "supervisord refuses stopasgroup = true with killasgroup = false");
  } else if (*stop_group) {
    put("kill_mode", "\"group\"");
  } else if (*kill_group) {
    put("kill_mode", "\"mixed\"", "the stop signal to the main process, SIGKILL to every process at the timeout");
  }
}

void program_converter::convert_logs() {
  struct log {
    std::string stream;
    const ini_value* given = nullptr;
    std::optional<expanded> file;  // a file daemonkit can write
  };
  log out, err;
  out.stream = "stdout";
  err.stream = "stderr";
  bool redirect = boolean("redirect_stderr", false).value_or(false);
  for (log* l : {&out, &err}) {
    if (const auto* sys = get(l->stream + "_syslog")) {
      if (auto b = py_bool(sys->value); b && *b) lose(*sys, "daemonkit writes logs to files");
      else if (!b) lose(*sys, "not a boolean: true or false");
    }
    l->given = get(l->stream + "_logfile");
    if (l->given == nullptr) continue;
    if (redirect && l == &err) {
      lose(*l->given, "redirect_stderr = true sends stderr to stdout's log");
      continue;
    }
    auto e = expand_value(*l->given);
    if (!e) continue;
    std::string word = lower(strip(e->text));
    if (e->text == "syslog") {
      lose(*l->given, "daemonkit writes logs to files");
    } else if (word == "none") {
      lose(*l->given, "daemonkit always keeps a service's output, in its log");
    } else if (word == "auto") {
      lose(*l->given, "daemonkit's default log, LOG_DIR/NAME.log, is the nearest");
    } else if (e->text == "/dev/stdout" || e->text == "/dev/stderr" || starts_with(e->text, "/dev/fd/") ||
               starts_with(e->text, "/proc/self/fd/")) {
      lose(*l->given,
           "that is supervisord's own output; daemonkit keeps a service's in its log: daemonkit logs -f NAME");
    } else if (starts_with(e->text, "~")) {
      lose(*l->given, "supervisord expands ~ to a home directory; daemonkit does not: write the whole path");
    } else {
      if (e->text[0] != '/') {
        e->notes.emplace_back(
            "a relative path: supervisord took it from its own working directory, daemonkit takes it from this "
            "file's directory");
      }
      l->file = std::move(*e);
    }
  }

  if (out.file && (!err.file || err.file->text == out.file->text)) {
    put_string("log_file", *out.given, *out.file);
  } else if (out.file) {
    put_string("stdout", *out.given, *out.file);
    put_string("stderr", *err.given, *err.file);
  } else if (err.file) {
    put_string("stderr", *err.given, *err.file);
  }

  // Rotation: supervisord rotates each log at 50MB and keeps 10 unless told
  // otherwise; daemonkit has one size and one count for all the logs of a
  // service, taken here from the stream whose file carried over (stdout
  // first). A log left to daemonkit's default is not rotated unless a size
  // is given.
  const log& primary = (out.file || !err.file) ? out : err;
  const log& other = &primary == &out ? err : out;
  const std::string& p = primary.stream;
  std::optional<long long> max_bytes;
  if (out.file || err.file) max_bytes = 50LL * 1024 * 1024;
  const ini_value* max_given = get(p + "_logfile_maxbytes");
  if (max_given != nullptr) {
    max_bytes.reset();
    if (auto e = expand_value(*max_given)) {
      // supervisord's byte_size: KB, MB, GB (powers of 1024) or bytes.
      std::string v = lower(strip(e->text));
      long long unit = 1;
      std::string suffix = v.size() >= 2 ? v.substr(v.size() - 2) : "";
      if (suffix == "kb" || suffix == "mb" || suffix == "gb") {
        unit = suffix == "kb" ? 1024LL : suffix == "mb" ? 1024LL * 1024 : 1024LL * 1024 * 1024;
        v.resize(v.size() - 2);
      }
      auto n = py_int(v);
      if (!n || *n < 0 || *n > (1LL << 50) / unit) lose(*max_given, "not a size");
      else if (*n > 0 && *n * unit < 1024) lose(*max_given, "daemonkit rotates at 1K at the least");
      else max_bytes = *n * unit;
    }
  }
  bool rotates = max_bytes && *max_bytes > 0;
  if (rotates) {
    put("log_max_size", toml_size(*max_bytes),
        max_given == nullptr ? "supervisord's default " + p + "_logfile_maxbytes = 50MB" : "");
  }
  std::optional<long long> keep;
  if (rotates) keep = 10;
  if (const ini_value* keep_given = get(p + "_logfile_backups")) {
    keep.reset();
    auto e = expand_value(*keep_given);
    auto n = e ? py_int(e->text) : std::nullopt;
    if (e && (!n || *n < 0 || *n > 1000)) lose(*keep_given, "not a count daemonkit takes, 0 to 1000");
    else if (n && !rotates) lose(*keep_given, "no log of it is rotated here");
    else keep = n;
    if (keep) put("log_keep", std::to_string(*keep));
  } else if (keep) {
    put("log_keep", std::to_string(*keep), "supervisord's default " + p + "_logfile_backups = 10");
  }

  // The other stream's rotation: fine where it says the same.
  for (const char* suffix : {"_logfile_maxbytes", "_logfile_backups"}) {
    const auto* v = get(other.stream + suffix);
    if (v == nullptr) continue;
    const auto* mine = get(p + suffix);
    if (mine != nullptr && strip(mine->value) == strip(v->value)) continue;
    if (redirect && &other == &err) lose(*v, "redirect_stderr = true sends stderr to stdout's log");
    else lose(*v, "daemonkit rotates all the logs of a service alike; they follow " + p + suffix);
  }
}

void program_converter::lose_the_rest() {
  auto consider = [&](const ini_value& v) {
    if (used_.count(v.key) != 0) return;
    used_.insert(v.key);
    lose(v, why_not_carried(program_keys().count(v.key) != 0 ? v.key : std::string()));
  };
  // Keys read but never mapped, by their own reason.
  for (const char* key : {"startretries", "stdout_capture_maxbytes", "stderr_capture_maxbytes", "stdout_events_enabled",
                          "stderr_events_enabled", "serverurl"}) {
    if (const auto* v = get(key)) lose(*v, why_not_carried(key));
  }
  for (const auto& v : section_.values) consider(v);
  for (const auto& v : ini_.defaults.values) {
    if (program_keys().count(v.key) != 0) consider(v);
  }
}

// Why supervisord's other sections are not carried over.
std::string section_reason(const std::string& name) {
  if (name == "unix_http_server" || name == "inet_http_server" || name == "supervisorctl" ||
      starts_with(name, "rpcinterface:") || starts_with(name, "ctlplugin:")) {
    return "daemonkit has no control server: its commands reach each service's monitor directly";
  }
  if (name == "supervisord") return "supervisord's own settings: daemonkit has no central daemon";
  if (starts_with(name, "eventlistener:")) return "an event listener speaks supervisord's event protocol";
  if (starts_with(name, "fcgi-program:")) {
    return "daemonkit opens no FastCGI socket for a program; run it as a [program] that opens its own";
  }
  return "not a supervisord section";
}

daemonkit::result<import_result> import_supervisord(importer& imp, const ini_file& ini) {
  if (ini.error_line != 0) {
    return make_error(errc::invalid_argument, imp.path + ":" + std::to_string(ini.error_line) + ": " + ini.error +
                                                  " (supervisord refuses the file too)");
  }
  std::vector<std::string> top;  // comments under the file's header
  std::string defaults_env;      // [supervisord] environment, as an inline table
  std::map<std::string, supervisord_group> groups;

  for (const auto& s : ini.sections) {
    if (!starts_with(s.name, "group:")) continue;
    supervisord_group g{std::string(strip(s.name.substr(6)))};
    std::vector<std::string> members;
    for (const auto& v : s.values) {
      if (v.key == "programs") {
        std::string_view rest = v.value;
        for (;;) {
          size_t comma = rest.find(',');
          auto m = strip(rest.substr(0, comma));
          if (!m.empty()) members.emplace_back(m);
          if (comma == std::string_view::npos) break;
          rest.remove_prefix(comma + 1);
        }
      } else if (v.key == "priority") {
        if (auto p = py_int(v.value)) g.priority = *p;
      }
    }
    for (const auto& m : members) groups.emplace(m, g);
    std::string list;
    for (const auto& m : members) list += (list.empty() ? "" : " ") + m;
    std::string text = "[" + s.name + "] (line " + std::to_string(s.line) +
                       "): daemonkit has no groups: its programs are services, ordered by the group's priority "
                       "first; `daemonkit up " +
                       (members.empty() ? "NAME..." : list) + "` starts them";
    top.push_back(comment(text));
  }

  std::vector<service_out> services;
  std::set<std::string> taken;
  for (const auto& s : ini.sections) {
    if (starts_with(s.name, "group:")) continue;
    if (starts_with(s.name, "program:")) {
      std::string program(strip(s.name.substr(8)));
      service_out out;
      std::string name = daemonkit_name(program);
      if (name != program) {
        std::string text = "renamed from '" + program + "': a daemonkit name is 1-64 of A-Za-z0-9._- (no '@')";
        out.head.push_back(comment(text));
        imp.warn(s.line, "[" + s.name + "] " + text);
      }
      std::string unique = unique_name(name, taken);
      if (unique != name) {
        std::string text = "named ";
        text.append(unique).append(": another service is named ").append(name);
        out.head.push_back(comment(text));
        imp.warn(s.line, "[" + s.name + "] " + text);
      }
      out.name = unique;
      out.section = s.name;
      auto g = groups.find(program);
      program_converter(imp, ini, s, program, g == groups.end() ? nullptr : &g->second, out).convert();
      if (!out.skipped) taken.insert(out.name);
      services.push_back(std::move(out));
      continue;
    }
    if (s.name == "supervisord") {
      // Its environment is every program's, under their own: [defaults].
      std::vector<std::string> ignored;
      for (const auto& v : s.values) {
        if (v.key != "environment") {
          ignored.push_back(v.key);
          continue;
        }
        expansion_names names;
        names.here = imp.context.here;
        names.getenv = &imp.context.getenv;
        expanded e = expand(v.value, names);
        auto pairs = key_value_pairs(e.text);
        std::string table;
        const std::vector<std::pair<std::string, std::string>> none;
        for (const auto& [key, value] : pairs ? *pairs : none) {
          auto k = toml_key(key);
          auto val = toml_string(value);
          if (!k || !val || key.find('=') != std::string::npos || value.find('\0') != std::string::npos) {
            std::string text = "not carried over: [supervisord] environment ";
            text.append(key).append("=").append(value).append(" (not a variable an environment can hold as text)");
            top.push_back(comment(text));
            imp.warn(v.line, text);
            continue;
          }
          table += (table.empty() ? "{ " : ", ") + *k + " = " + *val;
        }
        if (!pairs) {
          std::string text = "not carried over: [supervisord] environment = " + v.value +
                             " (not KEY=VALUE pairs as supervisord reads them: " + pairs.err().message() + ")";
          top.push_back(comment(text));
          imp.warn(v.line, text);
        }
        for (const auto& n : e.notes) {
          top.push_back(comment("[supervisord] environment: " + n));
          imp.warn(v.line, "[supervisord] environment: " + n);
        }
        if (!table.empty()) defaults_env = table + " }";
      }
      if (!ignored.empty()) {
        std::string list;
        for (const auto& k : ignored) list += (list.empty() ? "" : ", ") + k;
        std::string text = "not carried over: [supervisord] " + list + " (" + section_reason(s.name) + ")";
        top.push_back(comment(text));
        imp.warn(s.line, text);
      }
      continue;
    }
    if (s.name == "include") {
      const auto* files = s.find("files");
      std::string text = "not carried over: [include] " +
                         (files != nullptr ? "files = " + files->value : std::string("(no files)")) +
                         " (not read: import each of those files too)";
      top.push_back(comment(text));
      imp.warn(s.line, text);
      continue;
    }
    std::string text = "not carried over: [" + s.name + "] (" + section_reason(s.name) + ")";
    top.push_back(comment(text));
    imp.warn(s.line, text);
  }

  if (std::none_of(services.begin(), services.end(), [](const service_out& s) { return !s.skipped; })) {
    std::string why = services.empty() ? "a supervisord config without a [program:NAME] section"
                                       : "none of its programs can be carried over";
    auto inc = std::find_if(ini.sections.begin(), ini.sections.end(),
                            [](const ini_section& s) { return s.name == "include"; });
    const ini_value* files = inc != ini.sections.end() ? inc->find("files") : nullptr;
    if (files != nullptr) why += " (it includes " + files->value + ": import those files)";
    for (const auto& s : services) why += "; [" + s.section + "] " + s.skip_reason;
    return make_error(errc::invalid_argument, imp.path + ": " + why);
  }

  // priority: each program waits until those of the next lower level (group
  // priority, then its own) that start with the file are started; the order
  // further down follows from theirs.
  std::map<std::pair<long long, long long>, std::vector<std::string>> levels;  // the services that start, by level
  for (const auto& s : services) {
    if (!s.skipped && s.autostart) levels[s.level].push_back(s.name);
  }
  bool ordered = false;
  for (auto& s : services) {
    if (s.skipped) continue;
    auto below = levels.lower_bound(s.level);
    if (below == levels.begin()) continue;
    s.depends_on = std::prev(below)->second;
    ordered = true;
  }

  import_result r;
  r.toml = comment("daemonkit.toml, imported by `daemonkit import` from the supervisord config " + imp.path) + "\n";
  r.toml += "# Each setting daemonkit has no equivalent for is a \"not carried over\" comment.\n";
  r.toml += "# Check it with `daemonkit check -f FILE`; `daemonkit up -f FILE --dry-run` shows what up would do.\n";
  r.toml += "# autorestart became respawn (supervisord's default, unexpected, is \"on-failure\").\n";
  if (ordered) {
    r.toml +=
        "# priority became depends_on with the \"started\" condition: a program waits for those of the next\n"
        "# lower priority.\n";
  }
  for (const auto& l : top) r.toml += l + "\n";
  if (!defaults_env.empty()) {
    r.toml += "\n[defaults]\n";
    r.toml += "env = " + defaults_env + "  " + comment("[supervisord] environment: every program's") + "\n";
  }
  for (const auto& s : services) r.toml += "\n" + render_service(s);
  r.warnings = std::move(imp.warnings);
  return r;
}

// ---------------------------------------------------------------- Procfile

bool procfile_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

struct procfile_line {
  std::string name, command;
  int line = 0;
};

// foreman's and honcho's /^([A-Za-z0-9_-]+):\s*(.+)$/ over each line; blank
// and '#' lines are fine; bad_line: the first other line (0: none).
std::vector<procfile_line> parse_procfile(std::string_view text, int& bad_line) {
  std::vector<procfile_line> out;
  bad_line = 0;
  int lineno = 0;
  for (std::string_view line : split_lines(text)) {
    ++lineno;
    std::string_view s = strip(line);
    if (s.empty() || s[0] == '#') continue;
    size_t n = 0;
    while (n < line.size() && procfile_name_char(line[n])) ++n;
    std::string_view command = n > 0 && n < line.size() && line[n] == ':' ? strip(line.substr(n + 1)) : "";
    if (command.empty()) {
      if (bad_line == 0) bad_line = lineno;
      continue;
    }
    out.push_back({std::string(line.substr(0, n)), std::string(command), lineno});
  }
  return out;
}

daemonkit::result<import_result> import_procfile(importer& imp, const std::vector<procfile_line>& lines) {
  std::vector<service_out> services;
  std::set<std::string> taken;
  for (const auto& l : lines) {
    service_out s;
    std::string name = daemonkit_name(l.name);
    std::string unique = unique_name(name, taken);
    s.head.push_back(comment("Procfile line " + std::to_string(l.line)));
    if (unique != l.name) {
      std::string text =
          "named " + unique + ": " +
          (name != l.name ? "a daemonkit name is at most 64 characters" : "another process is named " + l.name);
      s.head.push_back(comment(text));
      imp.warn(l.line, l.name + ": " + text);
    }
    s.name = unique;
    s.section = l.name;
    auto cmd = toml_string(l.command);
    if (!cmd) {
      s.skipped = true;
      s.skip_reason = "not UTF-8 text, which TOML cannot hold";
      s.head.clear();
      std::string text = "not carried over: " + l.name + ": " + l.command + " (not UTF-8 text, which TOML cannot hold)";
      s.lost.push_back(comment(text));
      imp.warn(l.line, text);
    } else {
      s.keys.push_back("command = " + *cmd);
      taken.insert(unique);
    }
    services.push_back(std::move(s));
  }
  if (taken.empty())
    return make_error(errc::invalid_argument, imp.path + ": no process of the Procfile can be carried over");

  import_result r;
  r.toml = comment("daemonkit.toml, imported by `daemonkit import` from the Procfile " + imp.path) + "\n";
  r.toml +=
      "# Each command is a string: daemonkit runs it with /bin/sh -c, as foreman and honcho do.\n"
      "# foreman and honcho set PORT (5000, 5100, ...) for each process; daemonkit does not: give a\n"
      "# service that reads $PORT an env = { PORT = \"...\" }.\n";
  std::string env_file = imp.context.here == "/" ? "/.env" : imp.context.here + "/.env";
  r.toml += comment("They also read .env: to keep one, add env_file = \"" + env_file + "\" to [defaults].") + "\n";
  r.toml +=
      "# They stop every process when one exits; daemonkit leaves the others running (respawn restarts one).\n"
      "# Check it with `daemonkit check -f FILE`; `daemonkit up -f FILE --dry-run` shows what up would do.\n";
  if (auto dir = toml_string(imp.context.here)) {
    r.toml +=
        "\n[defaults]\nchdir = " + *dir + "  " +
        comment("foreman and honcho run the commands in the Procfile's directory (\".\" when this file is beside it)") +
        "\n";
  } else {
    std::string text = "not carried over: the Procfile's directory as chdir (not UTF-8 text, which TOML cannot hold)";
    r.toml += comment(text) + "\n";
    imp.warn(1, text);
  }
  for (const auto& s : services) r.toml += "\n" + render_service(s);
  r.warnings = std::move(imp.warnings);
  return r;
}

}  // namespace

daemonkit::result<import_result> import_services(const std::string& path, std::string_view text,
                                                 const import_context& context) {
  importer imp{path, context, {}};
  if (imp.context.here.empty()) {
    auto slash = path.rfind('/');
    imp.context.here = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  }
  ini_file ini = parse_ini(text);
  bool has_program = std::any_of(ini.sections.begin(), ini.sections.end(),
                                 [](const ini_section& s) { return starts_with(s.name, "program:"); });
  bool supervisord_like = std::any_of(ini.sections.begin(), ini.sections.end(), [](const ini_section& s) {
    return s.name == "supervisord" || s.name == "supervisorctl" || s.name == "unix_http_server" ||
           s.name == "inet_http_server" || s.name == "include" || starts_with(s.name, "group:") ||
           starts_with(s.name, "eventlistener:") || starts_with(s.name, "fcgi-program:") ||
           starts_with(s.name, "rpcinterface:") || starts_with(s.name, "ctlplugin:");
  });
  if (has_program || supervisord_like) return import_supervisord(imp, ini);

  int bad_line = 0;
  auto lines = parse_procfile(text, bad_line);
  if (!lines.empty() && bad_line == 0) return import_procfile(imp, lines);
  std::string procfile_why =
      lines.empty() ? "no NAME: COMMAND line" : "line " + std::to_string(bad_line) + " is not NAME: COMMAND";
  return make_error(
      errc::invalid_argument,
      path + ": not a supervisord config (no [program:NAME] section) nor a Procfile (" + procfile_why + ")");
}

daemonkit::result<import_result> import_services(const std::string& path, std::string_view text) {
  import_context context;
  std::error_code ec;
  auto absolute = std::filesystem::absolute(path, ec);
  if (!ec) context.here = absolute.lexically_normal().parent_path().string();
  context.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  return import_services(path, text, context);
}

}  // namespace dk
