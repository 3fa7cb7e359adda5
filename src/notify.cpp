// SPDX-License-Identifier: MIT
#include "daemonkit/notify.hpp"

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <sys/socket.h>
#include <sys/un.h>

#include "daemonkit/unique_fd.hpp"
#include "sys/sys.hpp"

namespace daemonkit {

result<void> notify_to(const std::string& address, std::string_view state) {
  if (address.empty() || (address[0] != '/' && address[0] != '@')) {
    return make_error(errc::invalid_argument, "invalid notify socket address '" + address + "'");
  }
  struct sockaddr_un sa {};
  sa.sun_family = AF_UNIX;
  if (address.size() >= sizeof sa.sun_path) {
    return make_error(errc::invalid_argument, "notify socket address too long: " + address);
  }
  std::memcpy(sa.sun_path, address.data(), address.size());
  if (sa.sun_path[0] == '@') sa.sun_path[0] = '\0';  // abstract namespace
  auto len =
      static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + address.size() + (address[0] == '@' ? 0 : 1));

  unique_fd fd(sys::socket(AF_UNIX, SOCK_DGRAM, 0));
  if (!fd) return system_error("cannot create notify socket");
  ssize_t r;
  do {
    r = ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<struct sockaddr*>(&sa), len);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return system_error("cannot send to notify socket " + address);
  return {};
}

result<void> notify(std::string_view state) {
  const char* addr = std::getenv("NOTIFY_SOCKET");
  if (addr == nullptr || *addr == '\0') return {};
  return notify_to(addr, state);
}

result<void> notify_ready() { return notify("READY=1"); }

result<void> notify_ready(pid_t mainpid) {
  if (mainpid == 0) return notify_ready();
  return notify("READY=1\nMAINPID=" + std::to_string(mainpid));
}

result<void> notify_stopping() { return notify("STOPPING=1"); }

result<void> notify_reloading() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  auto usec =
      static_cast<unsigned long long>(ts.tv_sec) * 1000000ULL + static_cast<unsigned long long>(ts.tv_nsec) / 1000ULL;
  return notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

result<void> notify_status(std::string_view text) { return notify("STATUS=" + std::string(text)); }

}  // namespace daemonkit
