// SPDX-License-Identifier: MIT
// The sd_notify socket a service with --ready notify reports to.
//
// An abstract datagram socket (nothing to clean up, reachable by a service
// that dropped privileges) with SO_PASSCRED: each datagram is accepted only
// from the service's user (or root) and, of those, only from the service's
// own processes or from a sender already gone (systemd-notify exits before
// the datagram is read).
#pragma once

#include <functional>
#include <string>
#include <sys/types.h>

#include "daemonkit/detail/notify_message.hpp"
#include "daemonkit/result.hpp"
#include "daemonkit/unique_fd.hpp"
#include "supervisor/service_tree.hpp"

namespace daemonkit::supervisor {

class notify_server {
 public:
  // Binds "@daemonkit/NAME/PID/RANDOM".
  result<void> open(const std::string& service_name);

  int fd() const { return fd_.get(); }
  // For the service's NOTIFY_SOCKET ("@..." is the abstract namespace).
  const std::string& address() const { return address_; }

  // Reads every pending datagram and hands each accepted one, parsed, to
  // on_message. Oversized and unaccepted datagrams are dropped unread.
  void receive(uid_t service_uid, const service_tree& tree,
               const std::function<void(const notify_message&)>& on_message) const;

 private:
  unique_fd fd_;
  std::string address_;
};

}  // namespace daemonkit::supervisor
