// SPDX-License-Identifier: MIT
// supervisord's %(name)s expansions (import_expand.hpp), with the part of
// Python's %-formatting they use.
#include "import_expand.hpp"

#include <algorithm>
#include <utility>

#include "import_text.hpp"

namespace dk::import_detail {

namespace {

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

}  // namespace

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

}  // namespace dk::import_detail
