// upstream_stream::write_now: what a plain TCP socket takes at once, a short count (no error) when its
// buffers are full, an error once the peer has gone, and nothing at all on TLS.
#include "proxy/upstream/upstream_stream.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/context.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <thread>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

struct connected_pair {
  asio::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  tcp::socket server{io};
  boost::beast::tcp_stream client{io};

  connected_pair() {
    client.socket().connect(acceptor.local_endpoint());
    acceptor.accept(server);
  }
};

}  // namespace

TEST_CASE("write_now sends what the socket takes, stops short without error when it is full", "[upstream][write_now]") {
  connected_pair pair;
  cba::upstream::upstream_stream stream(std::move(pair.client));
  boost::system::error_code ec;
  const std::string head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  CHECK(stream.write_now(head, ec) == head.size());
  CHECK_FALSE(ec);
  std::string got(head.size(), '\0');
  asio::read(pair.server, asio::buffer(got));
  CHECK(got == head);

  // Nobody reads: the kernel's buffers fill up and a write comes back short, with no error.
  const std::string block(1 << 20, 'x');
  std::size_t sent = 0;
  bool short_write = false;
  for (int i = 0; i < 256 && !short_write; ++i) {
    const auto n = stream.write_now(block, ec);
    REQUIRE_FALSE(ec);
    sent += n;
    short_write = n < block.size();
  }
  CHECK(short_write);
  CHECK(sent > 0);
}

TEST_CASE("write_now reports a connection the peer has reset", "[upstream][write_now]") {
  connected_pair pair;
  cba::upstream::upstream_stream stream(std::move(pair.client));
  pair.server.set_option(asio::socket_base::linger(true, 0));  // close with RST
  pair.server.close();
  boost::system::error_code ec;
  for (int i = 0; i < 50 && !ec; ++i) {
    stream.write_now("GET / HTTP/1.1\r\n\r\n", ec);
    if (!ec) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(ec);  // ECONNRESET or EPIPE, never SIGPIPE (the test process would die)
}

TEST_CASE("write_now leaves TLS connections to the asynchronous path", "[upstream][write_now]") {
  connected_pair pair;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  cba::upstream::upstream_stream stream(std::move(pair.client), ctx);
  boost::system::error_code ec;
  CHECK(stream.write_now("GET / HTTP/1.1\r\n\r\n", ec) == 0);
  CHECK_FALSE(ec);
  pair.server.non_blocking(true);
  char byte = 0;
  pair.server.read_some(asio::buffer(&byte, 1), ec);
  CHECK(ec == asio::error::would_block);  // nothing reached the wire in clear text
}
