#include "tests/support/process.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdexcept>
#include <utility>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace cba::test {

namespace {

// Owns one pipe end.
class fd_guard {
 public:
  fd_guard() = default;
  explicit fd_guard(int fd) : fd_(fd) {}
  fd_guard(fd_guard&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  fd_guard& operator=(fd_guard&& o) noexcept {
    reset();
    fd_ = std::exchange(o.fd_, -1);
    return *this;
  }
  ~fd_guard() { reset(); }
  int get() const noexcept { return fd_; }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct pipe_pair {
  fd_guard read_end, write_end;
};

pipe_pair make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  return {fd_guard(fds[0]), fd_guard(fds[1])};
}

class spawn_actions {
 public:
  spawn_actions() { posix_spawn_file_actions_init(&a_); }
  ~spawn_actions() { posix_spawn_file_actions_destroy(&a_); }
  spawn_actions(const spawn_actions&) = delete;
  spawn_actions& operator=(const spawn_actions&) = delete;
  posix_spawn_file_actions_t* get() { return &a_; }

 private:
  posix_spawn_file_actions_t a_;
};

}  // namespace

std::string process_result::describe() const {
  std::string s = "exit " + std::to_string(exit_code);
  if (signal != 0) s += " (signal " + std::to_string(signal) + ")";
  if (timed_out) s += " (timed out, killed)";
  s += "\nstdout: " + out.substr(0, 4000) + "\nstderr: " + err.substr(0, 4000);
  return s;
}

process_result run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                           const std::string& input, std::chrono::milliseconds hold_stdin) {
  if (argv.empty()) throw std::invalid_argument("run_process: empty argv");
  auto in = make_pipe();
  auto out = make_pipe();
  auto err = make_pipe();

  spawn_actions actions;
  posix_spawn_file_actions_adddup2(actions.get(), in.read_end.get(), 0);
  posix_spawn_file_actions_adddup2(actions.get(), out.write_end.get(), 1);
  posix_spawn_file_actions_adddup2(actions.get(), err.write_end.get(), 2);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], actions.get(), nullptr, args.data(), environ);
  if (rc != 0) throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(rc));
  in.read_end.reset();
  out.write_end.reset();
  err.write_end.reset();

  process_result result;
  std::size_t written = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto release_stdin = start + hold_stdin;
  if (input.empty() && hold_stdin.count() <= 0) {
    in.write_end.reset();
  } else {
    ::fcntl(in.write_end.get(), F_SETFL, O_NONBLOCK);
    ::signal(SIGPIPE, SIG_IGN);  // a child that exits early must not kill the test binary
  }

  const auto deadline = start + timeout;
  while (out.read_end.get() >= 0 || err.read_end.get() >= 0) {
    const auto now = std::chrono::steady_clock::now();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    const bool input_done = written >= input.size();
    if (input_done && in.write_end.get() >= 0 && now >= release_stdin) in.write_end.reset();
    pollfd fds[3] = {{out.read_end.get(), POLLIN, 0}, {err.read_end.get(), POLLIN, 0},
                     {input_done ? -1 : in.write_end.get(), POLLOUT, 0}};
    int n = ::poll(fds, 3, static_cast<int>(std::min<long long>(left.count(), input_done && in.write_end.get() >= 0 ? 50 : 1000)));
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[65536];
      auto got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        (i == 0 ? out : err).read_end.reset();
      }
    }
    if (fds[2].fd >= 0 && fds[2].revents != 0) {
      auto put = ::write(fds[2].fd, input.data() + written, input.size() - written);
      if (put > 0) written += static_cast<std::size_t>(put);
      if (put < 0 && errno != EAGAIN && errno != EINTR) {
        written = input.size();
        in.write_end.reset();
      }
    }
  }
  in.write_end.reset();

  int status = 0;
  for (;;) {
    auto w = ::waitpid(pid, &status, result.timed_out ? 0 : WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) return result;
    if (w == 0) {
      // Pipes closed but the child lingers: give it until the deadline, then kill it.
      if (std::chrono::steady_clock::now() >= deadline) {
        result.timed_out = true;
        ::kill(pid, SIGKILL);
      } else {
        ::usleep(10000);
      }
    }
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

}  // namespace cba::test
