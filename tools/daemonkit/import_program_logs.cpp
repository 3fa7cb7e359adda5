// SPDX-License-Identifier: MIT
// A supervisord program's logs as a daemonkit service's (import_program.hpp):
// the files of stdout and stderr, and their rotation.
#include "import_program.hpp"

#include "import_text.hpp"
#include "import_toml.hpp"

namespace dk::import_detail {

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
  // A plain count, -1 for none: g++ -O3 sees a std::optional<long long>
  // here as maybe uninitialized (a false positive that -Werror turns into a
  // failed Release build).
  if (const ini_value* keep_given = get(p + "_logfile_backups")) {
    if (auto e = expand_value(*keep_given)) {
      long long keep = py_int(e->text).value_or(-1);
      if (keep < 0 || keep > 1000) lose(*keep_given, "not a count daemonkit takes, 0 to 1000");
      else if (!rotates) lose(*keep_given, "no log of it is rotated here");
      else put("log_keep", std::to_string(keep));
    }
  } else if (rotates) {
    put("log_keep", "10", "supervisord's default " + p + "_logfile_backups = 10");
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

}  // namespace dk::import_detail
