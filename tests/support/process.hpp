#pragma once
// Runs a command (curl, openssl) without a shell, capturing its output, with a hard timeout: on expiry
// the child is killed by PID so a hung client can never block the suite.

#include <chrono>
#include <string>
#include <vector>

namespace cba::test {

struct process_result {
  int exit_code = -1;       // the child's exit status; -1 when it was killed by a signal
  int signal = 0;           // the signal that ended it, 0 if it exited
  bool timed_out = false;   // we killed it at the deadline
  std::string out;
  std::string err;

  bool ok() const noexcept { return exit_code == 0 && !timed_out; }
  // "exit 35 (timed out)\nstdout: ...\nstderr: ..." for failure messages.
  std::string describe() const;
};

// argv[0] is looked up in PATH. `input` is written to the child's stdin, which is closed once it is
// written and `hold_stdin` has passed since the start (tools like s_client quit at end of input).
process_result run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                           const std::string& input = {},
                           std::chrono::milliseconds hold_stdin = std::chrono::milliseconds(0));

}  // namespace cba::test
