#pragma once
// One load-generating thread: its own epoll loop driving `slots` non-blocking connections through
// connect -> TLS handshake -> request -> response, in the mode the options name. Workers share only
// run_control (atomics); each fills its own worker_result, merged after join.

#include "bench/loadgen/latency_histogram.hpp"
#include "bench/loadgen/loopback_target.hpp"
#include "bench/loadgen/options.hpp"
#include "bench/loadgen/response_reader.hpp"
#include "bench/loadgen/tls_client_context.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace cba::bench {

using clock = std::chrono::steady_clock;

enum class error_kind { connect, tls_handshake, write, read, closed, http_parse, http_status, timeout };
inline constexpr std::size_t error_kind_count = 8;
const char* to_string(error_kind k);

struct run_control {
  explicit run_control(std::uint64_t max) : max_operations(max) {}
  const std::uint64_t max_operations;
  std::atomic<std::uint64_t> started{0};  // measured operations started by all workers (count bound)
  std::atomic<unsigned> ready{0};         // workers done with their unmeasured set-up
  std::atomic<bool> go{false};            // the measured phase has begun
  std::atomic<bool> stop{false};          // time is up (or the idle hold is over)
  std::atomic<unsigned> drained{0};       // workers with nothing left to start
  std::atomic<std::int64_t> held{0};      // idle: connections open and idle right now
};

struct worker_result {
  latency_histogram latency;
  std::array<std::uint64_t, error_kind_count> errors{};
  int first_bad_status = 0;
  std::uint64_t ok = 0;
  std::uint64_t handshakes = 0;     // completed during the measured phase
  std::uint64_t resumed = 0;        // of those, SSL_session_reused
  std::uint64_t reconnects = 0;     // keepalive: connections re-opened (R reached, or the server closed)
  std::uint64_t idle_lost = 0;      // idle: held connections the server closed
  clock::time_point finished{};     // when this worker ran out of operations (or was stopped)
};

class worker {
 public:
  worker(const options& o, SSL_CTX* ctx, const socket_address& target, unsigned slots, run_control& control);
  ~worker();
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  void run();  // the thread's body; returns when stopped or drained (idle: only when stopped)
  const worker_result& result() const { return result_; }

 private:
  enum class phase { closed, connecting, handshaking, writing, reading, parked, finished };
  struct connection {
    int fd = -1;
    ssl_ptr ssl;
    session_slot slot;
    phase state = phase::closed;
    bool measured = false;      // the current operation counts (false: set-up)
    bool setup_pending = false; // its set-up has not finished yet
    std::size_t written = 0;
    response_reader reader;
    clock::time_point op_start{}, deadline{};
    std::uint64_t requests = 0; // on the current TCP connection
    std::uint32_t interest = 0;
  };

  void maintain(clock::time_point now);
  void start(connection& c, clock::time_point now);
  bool take_operation();
  void open(connection& c, clock::time_point now);
  void drive(connection& c);
  void established(connection& c);
  void begin_request(connection& c);
  void response_done(connection& c);
  void fail(connection& c, error_kind k);
  void close_connection(connection& c, bool tls_shutdown);
  void hold(connection& c);
  void want(connection& c, std::uint32_t events);
  void setup_finished(connection& c);
  void on_held_event(std::size_t index);

  const options& o_;
  SSL_CTX* ctx_;
  socket_address target_;
  run_control& control_;
  std::string request_;
  std::vector<connection> conns_;
  std::vector<int> held_;  // idle mode: fds kept open without their SSL objects
  int epoll_ = -1;
  unsigned setup_left_ = 0;
  bool signalled_ready_ = false;
  bool drained_ = false;
  clock::time_point last_scan_{};
  worker_result result_;
};

}  // namespace cba::bench
