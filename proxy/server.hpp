#pragma once
// The running proxy: listeners, sessions, upstream pools, directory, admin. Owns every long-lived
// service; sessions borrow them. Tests run it in-process on port 0.

#include "config/config.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cba {

struct server_options {
  // Receives every log line (access and event lines, JSON). Empty: the config's log settings.
  std::function<void(const std::string&)> log_sink;
};

class server {
 public:
  // Builds TLS contexts, the directory and upstream pools; throws std::runtime_error with a
  // user-facing message on failure (start-up is the one place exceptions are used).
  server(const config::proxy_config& cfg, server_options options = {});
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds every listener (port 0 allowed) and the admin listener; returns once they accept.
  void start();
  // Bound addresses, in config order (valid after start()).
  std::vector<boost::asio::ip::tcp::endpoint> listener_endpoints() const;
  std::optional<boost::asio::ip::tcp::endpoint> admin_endpoint() const;
  // Runs the io threads; returns after stop() completed the drain.
  void run();
  // Thread-safe: stop accepting, let in-flight requests finish (bounded), then close everything.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace cba
