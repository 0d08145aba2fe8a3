#pragma once
// One request's trip to the upstream and back: head with the forwarding policy applied, body streamed
// both ways in bounded pieces (never buffered whole), 100-continue answered by the proxy, every step
// under the route's idle deadline.

#include "config/config.hpp"
#include "proxy/client_stream.hpp"
#include "proxy/error.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace cba {
namespace admin { class metrics; }
namespace upstream { class pool; }

using request_parser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;

struct relay_request_context {
  client_stream& client;
  boost::beast::flat_buffer& client_buffer;
  request_parser& request;  // head parsed and already rewritten for the upstream
  const config::route_config& route;
  const config::upstream_config& upstream;
  upstream::pool& pool;
  std::string identity_key;  // "" for routes whose upstream connections are not bound to a user
  std::chrono::milliseconds idle_timeout;
  std::uint64_t max_body_bytes;
  bool client_keep_alive = true;
  admin::metrics& metrics;
};

struct relay_outcome {
  errc reason = errc::ok;       // ok: the response went to the client completely
  std::string detail;           // for the log: what failed, with the peer's own message
  unsigned status = 0;          // the upstream's status as sent to the client; 0: nothing sent yet
  bool keep_alive = false;      // the client connection may carry another request
  std::uint64_t bytes_in = 0;   // request body bytes received from the client
  std::uint64_t bytes_out = 0;  // response body bytes sent to the client
  bool upstream_reused = false;
};

boost::asio::awaitable<relay_outcome> relay_request(relay_request_context& ctx);

}  // namespace cba
