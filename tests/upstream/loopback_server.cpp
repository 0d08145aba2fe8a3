#include "tests/upstream/loopback_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <array>
#include <string>
#include <utility>

namespace cba::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

template <class Stream>
net::awaitable<void> answer(Stream& stream, std::size_t index, server_mode mode) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    auto [ec, n] = co_await http::async_read(stream, buffer, req, use_tuple);
    if (ec) {
      co_return;
    }
    http::response<http::string_body> res{http::status::ok, 11};
    res.body() = std::to_string(index);
    res.keep_alive(true);
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
    if (wec) {
      co_return;
    }
    if (mode == server_mode::close_after_response) {
      boost::system::error_code ignored;
      beast::get_lowest_layer(stream).shutdown(tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(stream).close(ignored);
      co_return;
    }
  }
}

net::awaitable<void> serve(tcp::socket socket, std::size_t index, server_mode mode, net::ssl::context* tls) {
  if (mode == server_mode::silent) {
    std::array<char, 4096> sink{};
    for (;;) {
      auto [ec, n] = co_await socket.async_read_some(net::buffer(sink), use_tuple);
      if (ec) {
        co_return;
      }
    }
  }
  if (tls == nullptr) {
    co_await answer(socket, index, mode);
    co_return;
  }
  beast::ssl_stream<tcp::socket> stream(std::move(socket), *tls);
  auto [ec] = co_await stream.async_handshake(net::ssl::stream_base::server, use_tuple);
  if (!ec) {
    co_await answer(stream, index, mode);
  }
}

}  // namespace

loopback_server::loopback_server(server_mode mode, net::ssl::context* tls)
    : mode_(mode), tls_(tls), acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
  port_ = acceptor_.local_endpoint().port();
  start_accept();
  thread_ = std::thread([this] { ioc_.run(); });
}

loopback_server::~loopback_server() {
  ioc_.stop();
  thread_.join();
}

void loopback_server::start_accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec) {
      return;
    }
    const auto index = accepted_.fetch_add(1);
    net::co_spawn(ioc_, serve(std::move(socket), index, mode_, tls_), net::detached);
    start_accept();
  });
}

std::uint16_t closed_port() {
  net::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

}  // namespace cba::test
