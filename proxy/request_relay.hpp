#pragma once
// One request's trip to the upstream and back: head with the forwarding policy applied, body streamed
// both ways in bounded pieces (never buffered whole), 100-continue answered by the proxy, every step
// under the route's idle deadline.
//
// Kerberos routes (ctx.negotiate set): upstream connections are bound to one account (the pool key is
// the account's identity, never ""). A new connection gets "Authorization: Negotiate" on its first
// request, a reused one none (the upstream authenticates the TCP connection) unless the request's body
// could not be held for a retry (over replay_body_limit or of unknown length). The upstream's final
// "WWW-Authenticate: Negotiate <token>" is verified (mutual authentication) and never reaches the
// client. A 401 is never forwarded either: a reused connection is re-authenticated once; a rejected
// token drops the cached credential and the request is sent once more with a fresh one when it is
// replayable (no body, or a body of at most replay_body_limit bytes that was held); otherwise the client
// gets upstream_auth_failed (403 on ActiveSync routes, whose devices prompt for a password on 401).

#include "config/config.hpp"
#include "proxy/client_stream.hpp"
#include "proxy/error.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cba {
namespace admin { class metrics; }
namespace upstream { class pool; }

using request_parser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;

// A request body up to this size is held while it is relayed, so it can be sent again after a 401.
inline constexpr std::size_t replay_body_limit = 48 * 1024;

// The outcome of one Negotiate step; reason ok or a delegation/auth reason with a detail for the log.
struct negotiate_step {
  errc reason = errc::ok;
  std::string detail;
  std::string token_base64;  // start(): the value after "Negotiate "
};

// The Kerberos identity of one request on an auth: kerberos route. The session builds one per request
// from the delegation service; the relay decides when a connection needs a token. Calls come from the
// session's executor, one at a time.
class negotiate_provider {
 public:
  virtual ~negotiate_provider() = default;
  // Begins authenticating one upstream connection (a new security context): the token for its request.
  // `upstream_tls` is the connection's TLS session (null for http://), for channel bindings. May talk to
  // the KDC (off the io threads); completes on the caller's executor.
  virtual boost::asio::awaitable<negotiate_step> start(SSL* upstream_tls) = 0;
  // The upstream's final reply token for the context start() began ("" when the response carried
  // none): ok when it authenticates the upstream (mutual authentication), else mutual_auth_failed.
  virtual negotiate_step finish(std::string_view reply_token_base64) = 0;
  // The upstream rejected the ticket (401): the cached credential is dropped so the next start() asks
  // the KDC again.
  virtual void invalidate() = 0;
  // For logs: the delegated principal (alice@EXAMPLE.TEST).
  virtual const std::string& principal() const = 0;
};

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
  negotiate_provider* negotiate = nullptr;  // set for auth: kerberos routes (identity_key is then non-empty)
};

struct relay_outcome {
  errc reason = errc::ok;       // ok: the response went to the client completely
  std::string detail;           // for the log: what failed, with the peer's own message
  unsigned status = 0;          // the upstream's status as sent to the client; 0: nothing sent yet
  unsigned refusal_status = 0;  // with status 0: the status to answer instead of the reason's default
  bool keep_alive = false;      // the client connection may carry another request
  std::uint64_t bytes_in = 0;   // request body bytes received from the client
  std::uint64_t bytes_out = 0;  // response body bytes sent to the client
  bool upstream_reused = false;
  // Kerberos routes: how many Negotiate tokens this request sent (0: the connection was already
  // authenticated), the last token's size, and how many 401s the upstream answered.
  unsigned upstream_auths = 0;
  std::size_t negotiate_token_bytes = 0;
  unsigned upstream_401s = 0;
};

boost::asio::awaitable<relay_outcome> relay_request(relay_request_context& ctx);

// The size of the request head as it would be written (request line, header lines, final CRLF), and
// the largest header line: for upstreams[].request_header_bytes.
struct head_size {
  std::size_t total = 0;
  std::string largest_name;
  std::size_t largest_bytes = 0;
};
head_size measure_request_head(const boost::beast::http::request_header<>& head);

// Whether a route serves Exchange ActiveSync (its refusals are 403, never 401).
bool is_activesync_route(std::string_view path_prefix) noexcept;

}  // namespace cba
