// Request head limits (exact byte and field counting) and the request smuggling forms, sent as raw
// bytes over TLS because curl cannot produce them.

#include "tests/integration/proxy_fixture.hpp"

#include <catch2/catch.hpp>

using namespace cba::test;
using namespace std::chrono_literals;

namespace {

// A GET whose head (request line, header lines, final CRLF) is exactly `total` bytes.
std::string head_of_size(std::size_t total) {
  const std::string start = "GET /limits HTTP/1.1\r\nHost: localhost\r\nX-Pad: ";
  const std::string end = "\r\n\r\n";
  return start + std::string(total - start.size() - end.size(), 'a') + end;
}

// A GET with `count` header fields, Host included.
std::string head_with_fields(std::size_t count) {
  std::string head = "GET /limits HTTP/1.1\r\nHost: localhost\r\n";
  for (std::size_t i = 1; i < count; ++i) head += "X-Field-" + std::to_string(i) + ": v\r\n";
  return head + "\r\n";
}

}  // namespace

TEST_CASE("a 49152-byte head passes, 49153 gets 431 naming the limit", "[limits]") {
  proxy_fixture fx;
  {
    auto head = head_of_size(49152);
    REQUIRE(head.size() == 49152);
    auto c = fx.connect();
    REQUIRE_FALSE(c->write(head, 10s));
    auto r = c->read_final_response(15s);
    REQUIRE(r);
    CHECK(r->status == 200);
    REQUIRE(fx.upstream().wait_for_requests(1, 5s));
    CHECK(fx.upstream().request(0)->header("X-Pad")->size() == 49152 - 50);
  }
  {
    auto head = head_of_size(49153);
    auto c = fx.connect();
    REQUIRE_FALSE(c->write(head, 10s));
    auto r = c->read_final_response(15s);
    REQUIRE(r);
    CHECK(r->status == 431);
    INFO(r->body);
    CHECK((r->body.find("request_header_bytes") != std::string::npos || r->body.find("49152") != std::string::npos));
    CHECK(c->wait_closed(10s));
  }
  CHECK(fx.upstream().progress().requests_started == 1);
}

TEST_CASE("100 header fields pass, 101 get 431 naming the limit", "[limits]") {
  proxy_fixture fx;
  {
    auto c = fx.connect();
    REQUIRE_FALSE(c->write(head_with_fields(100), 10s));
    auto r = c->read_final_response(15s);
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  {
    auto c = fx.connect();
    REQUIRE_FALSE(c->write(head_with_fields(101), 10s));
    auto r = c->read_final_response(15s);
    REQUIRE(r);
    CHECK(r->status == 431);
    INFO(r->body);
    CHECK((r->body.find("request_header_count") != std::string::npos || r->body.find("100") != std::string::npos));
    CHECK(c->wait_closed(10s));
  }
  CHECK(fx.upstream().progress().requests_started == 1);
}

TEST_CASE("request smuggling forms get 400 and the connection is closed", "[limits][smuggling]") {
  auto [name, request] = GENERATE(table<std::string, std::string>({
      {"CL+TE",
       "POST /s HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"TE+CL",
       "POST /s HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"},
      {"duplicate Content-Length",
       "POST /s HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"},
      {"Content-Length list", "POST /s HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5, 5\r\n\r\nhello"},
      {"bad Content-Length", "POST /s HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5x\r\n\r\nhello"},
      {"negative Content-Length", "POST /s HTTP/1.1\r\nHost: localhost\r\nContent-Length: -5\r\n\r\nhello"},
      {"obs-fold", "GET /s HTTP/1.1\r\nHost: localhost\r\nX-Folded: a\r\n b\r\n\r\n"},
      {"bare LF", "GET /s HTTP/1.1\nHost: localhost\n\n"},
      {"TE not chunked last", "POST /s HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"},
  }));
  CAPTURE(name);
  proxy_fixture fx;
  auto c = fx.connect();
  REQUIRE_FALSE(c->write(request, 10s));
  auto r = c->read_final_response(15s);
  REQUIRE(r);
  INFO(r->raw_head << r->body);
  CHECK(r->status == 400);
  CHECK(c->wait_closed(10s));
  CHECK(fx.upstream().progress().requests_started == 0);
}

TEST_CASE("a bad chunk size gets 400, closes, and no complete request reaches the upstream", "[limits][smuggling]") {
  proxy_fixture fx;
  auto c = fx.connect();
  REQUIRE_FALSE(c->write("POST /s HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "zz\r\nhello\r\n0\r\n\r\n",
                         10s));
  auto r = c->read_final_response(15s);
  REQUIRE(r);
  INFO(r->raw_head << r->body);
  CHECK(r->status == 400);
  CHECK(c->wait_closed(10s));
  // The head may have been relayed already (bodies stream); the upstream must never see a whole request.
  CHECK(fx.upstream().progress().requests_complete == 0);
}

TEST_CASE("request trailers are bounded or refused", "[limits][smuggling]") {
  proxy_fixture fx;
  auto c = fx.connect();
  std::string trailers;
  for (int i = 0; i < 2000; ++i) trailers += "X-Trailer-" + std::to_string(i) + ": " + std::string(40, 't') + "\r\n";
  REQUIRE_FALSE(c->write("POST /t HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "5\r\nhello\r\n0\r\n" + trailers + "\r\n",
                         10s));
  auto r = c->read_final_response(15s);
  REQUIRE(r);
  INFO(r->raw_head << r->body);
  // ~100 KB of trailers exceed the 49152-byte head budget: refused (400/431), never relayed whole.
  CHECK((r->status == 400 || r->status == 431));
  CHECK(fx.upstream().progress().requests_complete == 0);
}
