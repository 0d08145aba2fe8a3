#pragma once
// A loopback TCP relay in front of the lab DC, for the failures a DC never shows on request: every
// connection dropped at once (an idle timeout, a firewall reset) or a server that stops answering
// (blackhole). Runs its own io thread; the public calls are thread-safe.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace cba::test {

class tcp_relay {
 public:
  explicit tcp_relay(unsigned short target_port);
  ~tcp_relay();
  tcp_relay(const tcp_relay&) = delete;
  tcp_relay& operator=(const tcp_relay&) = delete;

  unsigned short port() const noexcept { return port_; }
  // Closes every relayed connection (both sides), as a DC dropping idle connections would.
  void drop_all();
  // While on, nothing is forwarded in either direction (new connections are accepted and left hanging).
  void blackhole(bool on) noexcept { blackhole_ = on; }
  std::size_t accepted() const noexcept { return accepted_; }

 private:
  struct pair;
  void accept_next();

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short target_port_;
  unsigned short port_ = 0;
  std::atomic<bool> blackhole_{false};
  std::atomic<std::size_t> accepted_{0};
  std::vector<std::weak_ptr<pair>> pairs_;  // on io_ only
  std::thread thread_;
};

}  // namespace cba::test
