// SPDX-License-Identifier: MIT
// The service's output: the pipes it writes to, the log files they go to, the
// keeper that holds them if the monitor dies, and the last lines kept for a
// failed start's error message.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "daemonkit/credentials.hpp"
#include "daemonkit/log_file.hpp"
#include "daemonkit/result.hpp"
#include "daemonkit/service.hpp"
#include "daemonkit/unique_fd.hpp"

namespace daemonkit::supervisor {

class service_output {
 public:
  // Opens the logs (as service_user where they are the service's: see
  // service_logs.hpp) and makes a pipe for each; with passthrough, nothing:
  // the service writes to the monitor's own stdout/stderr. Unless in the
  // foreground, points the monitor's own stderr at the log.
  result<void> open(const service_config& cfg, const credentials* service_user, bool foreground);

  // Forks the keeper (see service_output.cpp); 0 when there is nothing to
  // keep or it could not be started (supervision works without it).
  pid_t start_keeper(const service_config& cfg, const credentials* service_user);

  // The write ends for the service: -1 to inherit the monitor's (passthrough).
  int stdout_for_service() const;
  int stderr_for_service() const;
  // The read ends to poll: -1 when not there.
  int out_fd() const { return out_rd_.get(); }
  int err_fd() const { return err_rd_.get(); }

  // Copies what is waiting on a pipe to its log (a bounded number of reads,
  // so a chatty service cannot starve the loop), and into the last lines
  // while `remember` is on.
  void read_out() { read(out_rd_, out_log_); }
  void read_err() { read(err_rd_, err_log_); }
  // Everything still in the pipes right now (a few rounds of read_out/read_err).
  void collect();
  void remember(bool on) { remember_ = on; }
  // "; last output:\n    line..." or empty.
  std::string last_output() const;

  // A line of the monitor's own in the service's log ("daemonkit: NAME: text"),
  // or on stderr when there is no log.
  void say(const std::string& name, const std::string& text);
  void reopen();
  void flush();

 private:
  [[noreturn]] void keep(int self, const service_config& cfg, const credentials* service_user);
  void read(const unique_fd& fd, std::optional<log_file>& log);
  void keep_lines(std::string_view bytes);

  unique_fd out_rd_, out_wr_, err_rd_, err_wr_;
  std::optional<log_file> out_log_, err_log_;
  bool remember_ = true;
  std::string partial_line_;
  std::deque<std::string> last_lines_;
};

}  // namespace daemonkit::supervisor
