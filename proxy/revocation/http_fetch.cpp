#include "proxy/revocation/http_fetch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <cctype>
#include <memory>

namespace cba::revocation {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t response_header_limit = 16 * 1024;

http_response failure(std::string what) { return {{}, std::move(what)}; }

}  // namespace

std::optional<http_url> parse_http_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (url.size() < scheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(url[i])) != scheme[i]) return std::nullopt;
  }
  url.remove_prefix(scheme.size());
  const auto slash = url.find_first_of("/?");
  std::string_view authority = url.substr(0, slash);
  http_url out;
  out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (out.target.front() == '?') out.target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return std::nullopt;
  if (port.empty()) {
    out.port = "80";
  } else {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    if (std::stoul(std::string(port)) == 0 || std::stoul(std::string(port)) > 65535) return std::nullopt;
    out.port = std::string(port);
  }
  return out;
}

asio::awaitable<http_response> http_fetch(http_request request) {
  const auto url = parse_http_url(request.url);
  if (!url) co_return failure("not an http:// URL");
  auto ex = co_await asio::this_coro::executor;
  const auto deadline = std::chrono::steady_clock::now() + request.timeout;
  const std::string millis = std::to_string(request.timeout.count()) + "ms";

  // The resolver has no deadline of its own: a timer cancels it. Both share state with the timer's
  // handler, which may run after this coroutine moved on.
  struct resolve_state {
    explicit resolve_state(const asio::any_io_executor& e) : resolver(e) {}
    tcp::resolver resolver;
    bool timed_out = false;
  };
  auto state = std::make_shared<resolve_state>(ex);
  asio::steady_timer resolve_timer(ex, deadline);
  resolve_timer.async_wait([state](boost::system::error_code ec) {
    if (ec) return;
    state->timed_out = true;
    state->resolver.cancel();
  });
  auto [resolve_ec, endpoints] = co_await state->resolver.async_resolve(url->host, url->port, use_tuple);
  resolve_timer.cancel();
  if (state->timed_out) co_return failure("resolving " + url->host + ": no answer within " + millis);
  if (resolve_ec) co_return failure("resolving " + url->host + ": " + resolve_ec.message());

  beast::tcp_stream stream(ex);
  stream.expires_at(deadline);
  auto [connect_ec, connected] = co_await stream.async_connect(endpoints, use_tuple);
  const std::string where = url->host + ":" + url->port;
  if (connect_ec == beast::error::timeout) co_return failure("connecting to " + where + ": timed out after " + millis);
  if (connect_ec) co_return failure("connecting to " + where + ": " + connect_ec.message());

  bhttp::request<bhttp::string_body> req{request.content_type.empty() ? bhttp::verb::get : bhttp::verb::post,
                                         url->target, 11};
  req.set(bhttp::field::host, url->port == "80" ? url->host : where);
  req.set(bhttp::field::user_agent, "cba-proxy");
  req.set(bhttp::field::connection, "close");
  if (!request.content_type.empty()) {
    req.set(bhttp::field::content_type, request.content_type);
    req.body() = std::move(request.body);
  }
  req.prepare_payload();
  auto [write_ec, written] = co_await bhttp::async_write(stream, req, use_tuple);
  if (write_ec) co_return failure("sending the request to " + where + ": " + write_ec.message());

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(response_header_limit);
  parser.body_limit(request.max_body_bytes);
  auto [read_ec, read] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  if (read_ec == bhttp::error::body_limit)
    co_return failure("the response from " + where + " is larger than " + std::to_string(request.max_body_bytes) +
                      " bytes");
  if (read_ec == beast::error::timeout) co_return failure("no complete response from " + where + " within " + millis);
  if (read_ec) co_return failure("reading the response from " + where + ": " + read_ec.message());
  auto& res = parser.get();
  if (res.result() != bhttp::status::ok)
    co_return failure("HTTP status " + std::to_string(res.result_int()) + " from " + request.url);
  co_return http_response{std::move(res.body()), {}};
}

}  // namespace cba::revocation
