// SPDX-License-Identifier: MIT
#include "supervisor/notify_server.hpp"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <random>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemonkit/detail/proc.hpp"
#include "sys/sys.hpp"

namespace daemonkit::supervisor {

result<void> notify_server::open(const std::string& service_name) {
  fd_.reset(sys::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0));
  if (!fd_) return system_error("cannot create the notify socket");
  std::random_device rd;
  address_ = "@daemonkit/" + service_name + "/" + std::to_string(::getpid()) + "/" + std::to_string(rd());
  struct sockaddr_un sa {};
  sa.sun_family = AF_UNIX;
  if (address_.size() >= sizeof sa.sun_path) address_.resize(sizeof sa.sun_path - 1);
  std::memcpy(sa.sun_path, address_.data(), address_.size());
  sa.sun_path[0] = '\0';
  auto len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + address_.size());
  if (::bind(fd_.get(), reinterpret_cast<struct sockaddr*>(&sa), len) != 0) {
    return system_error("cannot bind the notify socket");
  }
  int one = 1;
  if (::setsockopt(fd_.get(), SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0) {
    return system_error("cannot enable credentials on the notify socket");
  }
  return {};
}

void notify_server::receive(uid_t service_uid, const service_tree& tree,
                            const std::function<void(const notify_message&)>& on_message) const {
  for (;;) {
    char buf[4096];
    char control[CMSG_SPACE(sizeof(struct ucred))];
    iovec iov{buf, sizeof buf - 1};
    struct msghdr msg {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
      n = ::recvmsg(fd_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return;
    if (static_cast<size_t>(n) >= sizeof buf) continue;  // oversized: drop
    const struct ucred* cred = nullptr;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
        cred = reinterpret_cast<const struct ucred*>(CMSG_DATA(c));
      }
    }
    if (cred == nullptr) continue;
    // Checked upwards from the sender (O(depth)): a flood of datagrams costs
    // no walk of the tree.
    if (cred->uid != service_uid && cred->uid != 0) continue;
    if (!tree.contains(cred->pid) && read_proc_stat(cred->pid)) continue;
    on_message(parse_notify_message(std::string_view(buf, static_cast<size_t>(n))));
  }
}

}  // namespace daemonkit::supervisor
