#pragma once
// The admin listener: GET /healthz (the process runs), /readyz (it can admit users: listeners open and
// the directory answering), /metrics (Prometheus text). Plain HTTP meant for loopback or a management
// network; one request per connection, small bounded heads, short deadlines.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <string>

namespace cba::admin {

class metrics;

struct admin_handlers {
  const metrics& counters;
  std::function<bool()> ready;
  // More Prometheus text appended to /metrics (the directory's cache counters).
  std::function<std::string()> extra_metrics;
};

// Serves until the acceptor is closed.
boost::asio::awaitable<void> serve_admin(boost::asio::ip::tcp::acceptor& acceptor, admin_handlers handlers);

}  // namespace cba::admin
