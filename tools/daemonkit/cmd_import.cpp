// SPDX-License-Identifier: MIT
// import: a daemonkit.toml for a supervisord config or a Procfile, on stdout.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.hpp"
#include "daemonkit/unique_fd.hpp"
#include "import_file.hpp"

namespace dk {

namespace {

constexpr size_t max_import_size = 1 << 20;

// FILE's text: a regular file (symbolic links followed: a config is often
// linked into place) of at most 1 MiB. An error names FILE and says why.
daemonkit::result<std::string> read_import_file(const std::string& path) {
  auto fail = [&](const std::string& why) {
    return daemonkit::make_error(daemonkit::errc::invalid_argument, "cannot read " + path + ": " + why);
  };
  // O_NONBLOCK: a FIFO named by mistake must not block the open.
  daemonkit::unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) return fail(std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return fail("it is a directory");
  if (!S_ISREG(st.st_mode)) return fail("not a regular file");
  if (static_cast<unsigned long long>(st.st_size) > max_import_size) return fail("larger than 1 MiB");
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(std::strerror(errno));
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    // It grew since fstat.
    if (text.size() > max_import_size) return fail("larger than 1 MiB");
  }
  return text;
}

}  // namespace

int cmd_import(const std::string& path) {
  auto text = read_import_file(path);
  if (!text) {
    complain("import", text.err().message());
    return exit_failure;
  }
  auto imported = import_services(path, *text);
  if (!imported) {
    complain("import", imported.err().message());
    return exit_failure;
  }
  // The TOML is terminal-safe as it is: its strings escape control and
  // bidirectional characters, its comments are escaped text.
  std::fwrite(imported->toml.data(), 1, imported->toml.size(), stdout);
  for (const auto& w : imported->warnings) complain("import", w);
  if (std::fflush(stdout) != 0) {
    complain("import", std::string("cannot write the result: ") + std::strerror(errno));
    return exit_failure;
  }
  return exit_ok;
}

}  // namespace dk
