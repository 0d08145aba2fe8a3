// The client-side deadlines of a listener: handshake, request head, keep-alive idle.

#include "tests/integration/proxy_fixture.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>

#include <catch2/catch.hpp>

using namespace cba::test;
using namespace std::chrono_literals;

namespace {

proxy_options short_limits() {
  proxy_options o;
  o.limits = "{handshake_timeout: 1s, header_timeout: 1s, idle_timeout: 1s}";
  return o;
}

}  // namespace

TEST_CASE("a client that never starts the TLS handshake is dropped at handshake_timeout", "[timeouts]") {
  proxy_fixture fx(short_limits());
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket socket(ioc);
  socket.connect(fx.endpoint());
  CHECK(fx.wait_for_reason("handshake_timeout", 10s));
  // The proxy closed its side: a read ends (EOF or reset) instead of waiting.
  char byte = 0;
  boost::system::error_code ec;
  boost::asio::read(socket, boost::asio::buffer(&byte, 1), ec);
  CHECK(ec);
  CHECK(fx.upstream().progress().requests_started == 0);
}

TEST_CASE("a request head that stops arriving gets 408 at header_timeout", "[timeouts]") {
  proxy_fixture fx(short_limits());
  auto c = fx.connect();
  REQUIRE_FALSE(c->write("GET /slow HTTP/1.1\r\nHost: localhost\r\nX-Half: ", 5s));
  auto r = c->read_final_response(10s);
  REQUIRE(r);
  CHECK(r->status == 408);
  CHECK(r->body.find("reason: header_timeout") != std::string::npos);
  CHECK(c->wait_closed(5s));
  CHECK(fx.upstream().progress().requests_started == 0);
}

TEST_CASE("an idle keep-alive connection is closed quietly at idle_timeout", "[timeouts]") {
  proxy_fixture fx(short_limits());
  auto c = fx.connect();
  REQUIRE_FALSE(c->write("GET /first HTTP/1.1\r\nHost: localhost\r\n\r\n", 5s));
  auto r = c->read_final_response(10s);
  REQUIRE(r);
  CHECK(r->status == 200);
  // Nothing more is sent: the proxy ends the connection without an unsolicited response.
  CHECK(c->wait_closed(10s));
  CHECK(c->pending().empty());
}
