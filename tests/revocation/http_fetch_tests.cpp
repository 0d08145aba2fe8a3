// The revocation HTTP client: URL parsing, and its deadline against a server that never answers.
#include "proxy/revocation/http_fetch.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>

using namespace cba::revocation;
using namespace std::chrono_literals;

TEST_CASE("parse_http_url takes http:// URLs only") {
  auto a = parse_http_url("http://127.0.0.1:8080/pki/issuing.crl");
  REQUIRE(a);
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == "8080");
  CHECK(a->target == "/pki/issuing.crl");
  auto b = parse_http_url("HTTP://crl.example.test");
  REQUIRE(b);
  CHECK(b->port == "80");
  CHECK(b->target == "/");
  auto c = parse_http_url("http://[::1]:81/x?y=1");
  REQUIRE(c);
  CHECK(c->host == "::1");
  CHECK(c->port == "81");
  CHECK(c->target == "/x?y=1");
  CHECK_FALSE(parse_http_url("https://crl.example.test/x.crl"));
  CHECK_FALSE(parse_http_url("ldap:///CN=x"));
  CHECK_FALSE(parse_http_url("http://user@host/"));
  CHECK_FALSE(parse_http_url("http:///x"));
  CHECK_FALSE(parse_http_url("http://host:0/"));
  CHECK_FALSE(parse_http_url("http://host:99999/"));
  CHECK_FALSE(parse_http_url("http://host:8a/"));
}

TEST_CASE("a server that accepts and never answers runs into the deadline") {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});  // never accepts
  http_request req;
  req.url = "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/x.crl";
  req.timeout = 300ms;
  auto result = boost::asio::co_spawn(io, http_fetch(req), boost::asio::use_future);
  io.run();
  const auto r = result.get();
  CHECK_FALSE(r.ok());
  CHECK_THAT(r.error, Catch::Contains("within 300ms"));
}

TEST_CASE("a refused connection is an error naming the address") {
  boost::asio::io_context io;
  unsigned short port = 0;
  {
    boost::asio::ip::tcp::acceptor closed(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = closed.local_endpoint().port();
  }
  http_request req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/x.crl";
  auto result = boost::asio::co_spawn(io, http_fetch(req), boost::asio::use_future);
  io.run();
  const auto r = result.get();
  CHECK_FALSE(r.ok());
  CHECK_THAT(r.error, Catch::Contains("127.0.0.1:" + std::to_string(port)));
}
