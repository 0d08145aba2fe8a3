#pragma once
// The LDAP directory without a cache: a pool of up to pool_size bound connections, URLs tried in
// order with failover, a backoff per dead server, per-lookup deadline, one retry when the connection
// dropped under a lookup, and a background reconnect so ready() follows the servers' health.
// Everything runs on `loop` (single-threaded); blocking connects and binds run on `blocking`.

#include "ldap/bind_credentials.hpp"
#include "ldap/client_options.hpp"
#include "ldap/directory.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/result.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cba::ldap {

class connection;

class client final : public directory {
 public:
  client(boost::asio::any_io_executor loop, boost::asio::any_io_executor blocking, client_options options,
         bind_credentials credentials);
  ~client() override;

  // Must be awaited on `loop`.
  boost::asio::awaitable<lookup_result> lookup(std::string_view upn) override;
  // True once a connection is bound, false after every URL failed (until one answers again).
  bool ready() const noexcept override { return ready_.load(std::memory_order_relaxed); }
  directory_stats stats() const noexcept override;

  // On `loop`: open the first connection in the background.
  void start();
  // On `loop`: close every connection, fail waiting lookups, stop reconnecting.
  void shutdown();
  // The latest connection failure ("ldaps://dc1:636: connect (TLS): Can't contact LDAP server"), for logs.
  std::string last_error() const;

 private:
  using clock = std::chrono::steady_clock;
  struct server {
    std::string url;
    unsigned failures = 0;
    clock::time_point retry_at{};
  };

  boost::asio::awaitable<boost::system::result<std::shared_ptr<connection>>> acquire(clock::time_point deadline);
  std::shared_ptr<connection> pick();
  bool any_server_due(clock::time_point now) const;
  void start_connect();
  boost::asio::awaitable<void> connect_cycle();
  void on_connection_dead(connection& dead);
  void drop(const std::shared_ptr<connection>& c);
  void schedule_probe();
  void notify_waiters();
  void set_last_error(std::string text);

  boost::asio::any_io_executor loop_;
  boost::asio::any_io_executor blocking_;
  const std::shared_ptr<const client_options> options_;
  const std::shared_ptr<const bind_credentials> credentials_;
  std::vector<server> servers_;
  std::vector<std::shared_ptr<connection>> connections_;
  std::vector<boost::asio::steady_timer*> waiters_;
  boost::asio::steady_timer probe_;
  bool probe_armed_ = false;
  unsigned connecting_ = 0;
  std::uint64_t failed_cycles_ = 0;
  bool shut_down_ = false;
  std::atomic<bool> ready_{false};
  std::atomic<std::uint64_t> queries_{0};
  mutable std::mutex last_error_mutex_;
  std::string last_error_;
};

}  // namespace cba::ldap
