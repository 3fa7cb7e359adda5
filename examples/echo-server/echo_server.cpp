// SPDX-License-Identifier: MIT
// A TCP echo daemon on daemonkit::Daemon, with its own poll loop.
//
//   echo-server [--pidfile FILE] [--log FILE] [--config FILE] [--address IPV4] [--port N]
//               {start|stop|restart|status|reload|run}
//
// Every client is greeted with the first line of the config file, then gets
// back whatever it sends. What it shows of the library:
//  - late readiness: the socket is bound in run(), and only then is the
//    daemon reported ready, so `start` returns once connections are accepted
//    (a port in use is what `start` prints, with exit code 1);
//  - one poll loop over the daemon's events fd, the listening socket and the
//    clients: SIGHUP re-reads the config (a bad one is reported and the old
//    greeting kept), SIGTERM ends the loop at once, closing every client.
//
// Defaults: pidfile /tmp/echo-server.pid, log /tmp/echo-server.log, no config
// (greeting "echo-server"), 127.0.0.1 port 7007; --port 0 lets the kernel
// pick one (the log's "listening on ADDRESS:PORT" line says which).
#include <arpa/inet.h>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>
#include <vector>

#include "daemonkit/daemon.hpp"
#include "daemonkit/unique_fd.hpp"

namespace {

using daemonkit::unique_fd;

struct settings {
  std::string pidfile = "/tmp/echo-server.pid";
  std::string log = "/tmp/echo-server.log";
  std::string config;  // empty: the default greeting, nothing to reload
  std::string address = "127.0.0.1";
  unsigned port = 7007;
};

constexpr size_t max_clients = 256;
constexpr size_t max_config_size = 4096;

std::runtime_error errno_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::generic_category().message(errno));
}

// The first line of the config file (without its newline).
std::string read_greeting(const std::string& path) {
  if (path.empty()) return "echo-server";
  unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) throw errno_error("cannot read config " + path);
  std::string text;
  char buf[512];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw errno_error("cannot read config " + path);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > max_config_size) throw std::runtime_error("config " + path + " is larger than 4096 bytes");
  }
  std::string line = text.substr(0, text.find('\n'));
  if (line.empty()) throw std::runtime_error("config " + path + ": the first line (the greeting) is empty");
  return line;
}

class echo_server final : public daemonkit::Daemon {
 public:
  explicit echo_server(settings s) : Daemon(s.pidfile, "/dev/null", s.log, s.log), s_(std::move(s)) {
    set_name("echo-server");
    // Ready once run() listens, not when setup() returns.
    set_readiness(daemonkit::ready_policy::when_reported);
  }

 private:
  struct client {
    unique_fd fd;
    std::string pending;  // not yet sent: the greeting, or an echo the peer was slow to take
  };

  // A bad config fails `start` with its message.
  void setup() override { greeting_ = read_greeting(s_.config); }

  void run() override {
    listen();
    report_ready();
    loop();
    log("stopping (" + std::to_string(clients_.size()) + " clients)");
    clients_.clear();  // each client sees its connection end now
    listener_.reset();
  }

  // Throws on a bad config: the Daemon logs "echo-server: reload failed:
  // ...", tells a notify supervisor, and the old greeting stays.
  void on_reload() override {
    greeting_ = read_greeting(s_.config);
    log("reloaded config: greeting '" + greeting_ + "'");
  }

  void listen() {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(s_.port));
    if (::inet_pton(AF_INET, s_.address.c_str(), &sa.sin_addr) != 1) {
      throw std::runtime_error("invalid address '" + s_.address + "' (expected an IPv4 address)");
    }
    const std::string where = s_.address + ":" + std::to_string(s_.port);
    listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!listener_) throw errno_error("cannot create a socket");
    int on = 1;
    ::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {  // NOLINT: the sockets API
      throw errno_error("cannot bind " + where);
    }
    if (::listen(listener_.get(), 64) != 0) throw errno_error("cannot listen on " + where);
    socklen_t len = sizeof sa;
    ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&sa), &len);  // NOLINT: the sockets API
    log("listening on " + s_.address + ":" + std::to_string(ntohs(sa.sin_port)));
  }

  void loop() {
    std::vector<pollfd> fds;
    for (;;) {
      fds.clear();
      fds.push_back({events_fd(), POLLIN, 0});
      const bool accepting = clients_.size() < max_clients && !accept_paused_;
      fds.push_back({accepting ? listener_.get() : -1, POLLIN, 0});
      for (const auto& c : clients_) {
        const short want = c.pending.empty() ? POLLIN : POLLOUT;
        fds.push_back({c.fd.get(), want, 0});
      }
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;  // a signal: the events fd is readable now
        throw errno_error("poll failed");
      }
      // Stop (or reload) first: a stop closes every client at once.
      if (fds[0].revents != 0 && !handle_events()) return;
      // Backwards, so erasing keeps the remaining indices right.
      for (size_t i = clients_.size(); i-- > 0;) {
        if (fds[i + 2].revents != 0 && !serve_client(clients_[i])) {
          clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(i));
          accept_paused_ = false;
        }
      }
      if ((fds[1].revents & POLLIN) != 0) accept_clients();
    }
  }

  void accept_clients() {
    while (clients_.size() < max_clients) {
      unique_fd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
      if (!fd) {
        if (errno == EMFILE || errno == ENFILE) {
          // Out of fds: stop polling the listener until a client goes.
          log("cannot accept: " + std::generic_category().message(errno));
          accept_paused_ = true;
        }
        return;  // EAGAIN: all taken; EINTR, ECONNABORTED: poll again
      }
      clients_.push_back({std::move(fd), greeting_ + "\n"});
    }
  }

  // Reads and echoes, or sends what is pending. False when the client is done.
  static bool serve_client(client& c) {
    if (c.pending.empty()) {
      char buf[4096];
      ssize_t n = ::read(c.fd.get(), buf, sizeof buf);
      if (n == 0) return false;
      if (n < 0) return errno == EAGAIN || errno == EINTR;
      c.pending.assign(buf, static_cast<size_t>(n));
    }
    ssize_t sent = ::send(c.fd.get(), c.pending.data(), c.pending.size(), MSG_NOSIGNAL);
    if (sent < 0) return errno == EAGAIN || errno == EINTR;
    c.pending.erase(0, static_cast<size_t>(sent));
    return true;
  }

  static void log(const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  }

  settings s_;
  std::string greeting_;
  unique_fd listener_;
  std::vector<client> clients_;
  bool accept_paused_ = false;
};

int usage(const char* prog) {
  std::fprintf(stderr,
               "Usage: %s [--pidfile FILE] [--log FILE] [--config FILE] [--address IPV4] [--port N] "
               "{start|stop|restart|status|reload|run}\n",
               prog);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    const bool takes_value = a == "--pidfile" || a == "--log" || a == "--config" || a == "--address" || a == "--port";
    if (takes_value) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "echo-server: option %s needs a value\n", argv[i]);
        return usage(argv[0]);
      }
      std::string v = argv[++i];
      if (a == "--pidfile") s.pidfile = v;
      else if (a == "--log") s.log = v;
      else if (a == "--config") s.config = v;
      else if (a == "--address") s.address = v;
      else {
        char* end = nullptr;
        unsigned long port = std::strtoul(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || port > 65535) {
          std::fprintf(stderr, "echo-server: --port: invalid port '%s'\n", v.c_str());
          return 2;
        }
        s.port = static_cast<unsigned>(port);
      }
    } else if (a.size() > 1 && a[0] == '-' && a != "-h" && a != "--help") {
      std::fprintf(stderr, "echo-server: unknown option '%s'\n", argv[i]);
      return usage(argv[0]);
    } else {
      rest.push_back(argv[i]);
    }
  }
  // The daemon works in /: a relative config path must not be read from there.
  if (!s.config.empty() && s.config[0] != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd) == nullptr) {
      std::fprintf(stderr, "echo-server: cannot get the working directory: %s\n", std::strerror(errno));
      return 1;
    }
    s.config = std::string(cwd) + "/" + s.config;
  }
  echo_server d(s);
  // In `start`, this returns in the launcher (once the daemon listens) and,
  // after the daemon stopped, in the daemon too: nothing may follow it.
  return d.main(static_cast<int>(rest.size()), rest.data());
}
