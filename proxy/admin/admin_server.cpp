#include "proxy/admin/admin_server.hpp"

#include "proxy/admin/metrics.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <memory>

namespace cba::admin {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::seconds admin_deadline{5};

asio::awaitable<void> serve_one(beast::tcp_stream stream, std::shared_ptr<admin_handlers> handlers) {
  beast::flat_buffer buffer;
  buffer.max_size(8192);
  bhttp::request_parser<bhttp::empty_body> parser;
  parser.header_limit(8192);
  stream.expires_after(admin_deadline);
  auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
  if (ec) co_return;
  const auto& req = parser.get();
  bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
  res.set(bhttp::field::server, "cba-proxy");
  res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
  const auto target = req.target();
  const auto path = target.substr(0, target.find('?'));
  if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
    res.result(bhttp::status::method_not_allowed);
    res.body() = "only GET\n";
  } else if (path == "/healthz") {
    res.body() = "ok\n";
  } else if (path == "/readyz") {
    const bool ready = handlers->ready();
    if (!ready) res.result(bhttp::status::service_unavailable);
    res.body() = ready ? "ready\n" : "not ready\n";
  } else if (path == "/metrics") {
    res.set(bhttp::field::content_type, "text/plain; version=0.0.4");
    res.body() = handlers->counters.render_prometheus();
    if (handlers->extra_metrics) res.body() += handlers->extra_metrics();
  } else {
    res.result(bhttp::status::not_found);
    res.body() = "not found: try /healthz, /readyz or /metrics\n";
  }
  res.keep_alive(false);
  res.prepare_payload();
  stream.expires_after(admin_deadline);
  co_await bhttp::async_write(stream, res, use_tuple);
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace

asio::awaitable<void> serve_admin(asio::ip::tcp::acceptor& acceptor, admin_handlers handlers) {
  auto shared = std::make_shared<admin_handlers>(std::move(handlers));
  for (;;) {
    asio::ip::tcp::socket socket(asio::make_strand(acceptor.get_executor()));
    auto [ec] = co_await acceptor.async_accept(socket, use_tuple);
    if (ec) {
      if (!acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
      continue;
    }
    auto ex = socket.get_executor();
    asio::co_spawn(ex, serve_one(beast::tcp_stream(std::move(socket)), shared), asio::detached);
  }
}

}  // namespace cba::admin
