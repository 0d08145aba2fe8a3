#include "proxy/http/request_framing.hpp"

#include "tests/http/parsed_head.hpp"

#include <catch2/catch.hpp>

#include <string>

using cba::errc;
using cba::http::body_framing;
using cba::http::check_request_framing;
using cba::http::framing_verdict;
namespace bhttp = boost::beast::http;

namespace {

// Builds the header directly, bypassing Beast's parser, so the checks are exercised on their own
// (Beast refuses some of these before we see them; see beast_behaviour_tests.cpp).
struct header_builder {
  bhttp::request_header<> h;
  header_builder(bhttp::verb method, std::string_view target, unsigned version = 11) {
    h.method(method);
    h.target(target);
    h.version(version);
  }
  header_builder& add(std::string_view name, std::string_view value) {
    h.insert(name, value);
    return *this;
  }
  framing_verdict check() const { return check_request_framing(h); }
};

header_builder get(std::string_view target = "/owa/") {
  return header_builder(bhttp::verb::get, target).add("Host", "mail.example.test");
}
header_builder post() { return header_builder(bhttp::verb::post, "/ews/exchange.asmx").add("Host", "mail.example.test"); }

}  // namespace

TEST_CASE("plain requests pass with their body framing", "[http][framing]") {
  auto none = get().check();
  CHECK(none.ok());
  CHECK(none.body == body_framing::none);

  auto cl = post().add("Content-Length", "1234").check();
  CHECK(cl.ok());
  CHECK(cl.body == body_framing::content_length);
  CHECK(cl.content_length == 1234);

  auto zero = post().add("Content-Length", "0").check();
  CHECK(zero.ok());
  CHECK(zero.content_length == 0);

  auto max = post().add("Content-Length", "18446744073709551615").check();
  CHECK(max.ok());
  CHECK(max.content_length == 18446744073709551615ull);

  CHECK(post().add("Transfer-Encoding", "chunked").check().body == body_framing::chunked);
  CHECK(post().add("Transfer-Encoding", "CHUNKED").check().ok());

  CHECK(header_builder(bhttp::verb::get, "/", 10).check().ok());  // HTTP/1.0 needs no Host
  CHECK(header_builder(bhttp::verb::options, "*").add("Host", "h").check().ok());
  CHECK(header_builder(bhttp::verb::get, "/").add("Host", "[2001:db8::1]:8443").check().ok());
}

TEST_CASE("CL and TE together are smuggling", "[http][framing]") {
  auto v = post().add("Content-Length", "5").add("Transfer-Encoding", "chunked").check();
  CHECK(v.reason == errc::smuggling_cl_te);
  CHECK(post().add("Transfer-Encoding", "gzip").add("Content-Length", "5").check().reason == errc::smuggling_cl_te);
}

TEST_CASE("Content-Length must be one decimal value", "[http][framing]") {
  CHECK(post().add("Content-Length", "5").add("Content-Length", "5").check().reason ==
        errc::duplicate_content_length);
  CHECK(post().add("Content-Length", "5").add("Content-Length", "6").check().reason ==
        errc::duplicate_content_length);
  CHECK(post().add("Content-Length", "5, 5").check().reason == errc::duplicate_content_length);
  CHECK(post().add("Content-Length", "5,6").check().reason == errc::duplicate_content_length);
  for (std::string_view bad : {"", "-1", "+5", "0x10", "5 5", "1e3", "abc", "18446744073709551616",
                               "99999999999999999999999"}) {
    CAPTURE(bad);
    CHECK(post().add("Content-Length", bad).check().reason == errc::bad_content_length);
  }
}

TEST_CASE("Transfer-Encoding must be exactly chunked", "[http][framing]") {
  for (std::string_view bad : {"gzip", "gzip, chunked", "chunked, chunked", "chunked, gzip", "identity", "",
                               "chunked;q=1", "chunked x"}) {
    CAPTURE(bad);
    const auto v = post().add("Transfer-Encoding", bad).check();
    CHECK(v.reason == errc::bad_request);
    CHECK(v.detail.find("transfer-coding") != std::string::npos);
  }
  const auto twice = post().add("Transfer-Encoding", "chunked").add("Transfer-Encoding", "chunked").check();
  CHECK(twice.reason == errc::bad_request);
  CHECK(twice.detail.find("more than once") != std::string::npos);

  const auto http10 = header_builder(bhttp::verb::post, "/", 10).add("Transfer-Encoding", "chunked").check();
  CHECK(http10.reason == errc::bad_request);
  CHECK(http10.detail.find("HTTP/1.0") != std::string::npos);
}

TEST_CASE("Host is required once in HTTP/1.1 and must look like an authority", "[http][framing]") {
  const auto missing = header_builder(bhttp::verb::get, "/").check();
  CHECK(missing.reason == errc::bad_request);
  CHECK(missing.detail.find("Host header missing") != std::string::npos);
  const auto twice = get().add("Host", "other.example.test").check();
  CHECK(twice.reason == errc::bad_request);
  CHECK(twice.detail.find("more than one Host") != std::string::npos);
  for (std::string_view bad : {"a b", "a/b", "user@host", "a\\b", "h?x", "h#x"}) {
    CAPTURE(bad);
    CHECK(header_builder(bhttp::verb::get, "/").add("Host", bad).check().reason == errc::bad_request);
  }
}

TEST_CASE("only origin-form targets, and * for OPTIONS", "[http][framing]") {
  const auto absolute = get("http://evil.example/owa").check();
  CHECK(absolute.reason == errc::bad_request);
  CHECK(absolute.detail.find("origin-form") != std::string::npos);
  CHECK(get("mail.example.test:443").check().reason == errc::bad_request);
  CHECK(get("*").check().reason == errc::bad_request);
  CHECK(get("").check().reason == errc::bad_request);
  const auto connect = header_builder(bhttp::verb::connect, "mail.example.test:443").add("Host", "h").check();
  CHECK(connect.reason == errc::bad_request);
  CHECK(connect.detail == "CONNECT not supported");
}

// (Beast's fields::insert trims surrounding whitespace, so " 5" cannot be built here; the parser trims too.)

TEST_CASE("upgrade requests and other HTTP versions are refused", "[http][framing]") {
  const auto ws = get().add("Connection", "Upgrade").add("Upgrade", "websocket").check();
  CHECK(ws.reason == errc::bad_request);
  CHECK(ws.detail == "upgrade not supported");
  CHECK(header_builder(bhttp::verb::get, "/", 20).add("Host", "h").check().reason == errc::bad_request);
  CHECK(header_builder(bhttp::verb::get, "/", 9).check().reason == errc::bad_request);
}

TEST_CASE("framing checks work on what Beast parsed", "[http][framing]") {
  const auto parsed = cba::http::test::parse_with_beast(
      "POST /owa/service.svc HTTP/1.1\r\nHost: mail\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n");
  REQUIRE_FALSE(parsed.ec);
  CHECK(check_request_framing(parsed.header).reason == errc::duplicate_content_length);
}
