#include "proxy/http/head_scanner.hpp"

#include <catch2/catch.hpp>

#include <string>

using cba::errc;
using cba::http::head_limits;
using cba::http::head_scan;
using cba::http::head_scanner;
using cba::http::scan_request_head;

namespace {

// A head of exactly `total` bytes: request line, Host, one X-Pad line sized to fit, final CRLF.
std::string head_of_size(std::size_t total) {
  const std::string start = "GET /owa/ HTTP/1.1\r\nHost: mail.example.test\r\nX-Pad: ";
  const std::string end = "\r\n\r\n";
  REQUIRE(total >= start.size() + end.size());
  return start + std::string(total - start.size() - end.size(), 'a') + end;
}

std::string head_with_fields(std::size_t fields) {
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (std::size_t i = 1; i < fields; ++i) head += "X-F" + std::to_string(i) + ": v\r\n";
  return head + "\r\n";
}

head_scan scan(std::string_view text) { return scan_request_head(text, head_limits{}); }

}  // namespace

TEST_CASE("a complete head is found and measured", "[http][head_scanner]") {
  const std::string head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  const auto r = scan(head + "POST /next HTTP/1.1\r\n");  // a pipelined request after it is not examined
  CHECK(r.st == head_scan::state::complete);
  CHECK(r.head_bytes == head.size());
  CHECK(r.reason == errc::ok);
}

TEST_CASE("a head without fields is complete", "[http][head_scanner]") {
  const auto r = scan("GET / HTTP/1.0\r\n\r\n");
  CHECK(r.st == head_scan::state::complete);
  CHECK(r.head_bytes == 18);
}

TEST_CASE("a partial head is incomplete", "[http][head_scanner]") {
  for (std::string_view partial : {"", "G", "GET / HTTP/1.1", "GET / HTTP/1.1\r", "GET / HTTP/1.1\r\nHost: a\r\n",
                                   "GET / HTTP/1.1\r\nHost: a\r\n\r"}) {
    CAPTURE(partial);
    CHECK(scan(partial).st == head_scan::state::incomplete);
  }
}

TEST_CASE("head byte limit is Beast's header_limit: exactly the limit passes", "[http][head_scanner]") {
  const head_limits limits{49152, 100};
  const auto at_limit = head_of_size(49152);
  REQUIRE(at_limit.size() == 49152);
  const auto ok = scan_request_head(at_limit, limits);
  CHECK(ok.st == head_scan::state::complete);
  CHECK(ok.head_bytes == 49152);

  const auto over = head_of_size(49153);
  const auto r = scan_request_head(over, limits);
  CHECK(r.st == head_scan::state::error);
  CHECK(r.reason == errc::header_too_large);
  CHECK(r.detail.find("49152") != std::string::npos);
}

TEST_CASE("an incomplete head already past the limit fails without waiting", "[http][head_scanner]") {
  const head_limits limits{100, 100};
  const auto over = head_of_size(101);
  // All but the last byte: 100 bytes without the end, so the head is at least 101 bytes.
  const auto r = scan_request_head(std::string_view(over).substr(0, 100), limits);
  CHECK(r.st == head_scan::state::error);
  CHECK(r.reason == errc::header_too_large);
  // 99 bytes of it could still end within the limit.
  CHECK(scan_request_head(std::string_view(over).substr(0, 99), limits).st == head_scan::state::incomplete);
  // A long request line alone (no CRLF yet) counts too.
  CHECK(scan_request_head("GET /" + std::string(200, 'a'), limits).reason == errc::header_too_large);
}

TEST_CASE("field count limit includes Host: 100 pass, 101 fail", "[http][head_scanner]") {
  const head_limits limits{49152, 100};
  CHECK(scan_request_head(head_with_fields(100), limits).st == head_scan::state::complete);
  const auto r = scan_request_head(head_with_fields(101), limits);
  CHECK(r.st == head_scan::state::error);
  CHECK(r.reason == errc::too_many_headers);
  CHECK(r.detail.find("100") != std::string::npos);
}

TEST_CASE("malformed heads are refused with a reason", "[http][head_scanner]") {
  struct row {
    std::string text;
    errc reason;
    std::string_view detail;
  };
  using namespace std::string_literals;
  const row rows[] = {
      {"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n folded\r\n\r\n", errc::obs_fold, "folding"},
      {"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\tfolded\r\n\r\n", errc::obs_fold, "folding"},
      {"GET / HTTP/1.1\nHost: a\r\n\r\n", errc::bad_request, "bare LF"},
      {"GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", errc::bad_request, "bare LF"},
      {"GET / HTTP/1.1\r\nHost: a\r\n\n", errc::bad_request, "bare LF"},
      {"GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", errc::bad_request, "bare CR"},
      {"GET / HTTP/1.1\rHost: a\r\n\r\n", errc::bad_request, "bare CR"},
      {"GET / HTTP/1.1\r\nHost: a\r\n\rX", errc::bad_request, "bare CR"},
      {"GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n"s, errc::bad_request, "NUL"},
      {"GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", errc::bad_request, "control"},
      {"GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n", errc::bad_request, "control"},
      {"GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", errc::bad_request, "control"},
      {"GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n"s, errc::bad_request, "control"},
      {"GET / HTTP/1.1\r\n: a\r\n\r\n", errc::bad_request, "empty field name"},
      {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", errc::bad_request, "whitespace"},
      {"GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", errc::bad_request, "whitespace"},
      {"GET / HTTP/1.1\r\nX Y: a\r\n\r\n", errc::bad_request, "whitespace"},
      {"GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", errc::bad_request, "invalid character"},
      {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", errc::bad_request, "without a colon"},
      {" GET / HTTP/1.1\r\nHost: a\r\n\r\n", errc::bad_request, "whitespace before the request line"},
      {"\tGET / HTTP/1.1\r\nHost: a\r\n\r\n", errc::bad_request, "whitespace before the request line"},
      {"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", errc::bad_request, "empty line"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    const auto result = scan(r.text);
    CHECK(result.st == head_scan::state::error);
    CHECK(result.reason == r.reason);
    CHECK(result.detail.find(r.detail) != std::string::npos);
  }
}

TEST_CASE("tabs and obs-text are allowed in field values", "[http][head_scanner]") {
  CHECK(scan("GET / HTTP/1.1\r\nHost: a\r\nX-A: one\ttwo \xc3\xa9\r\nX-Empty:\r\n\r\n").st ==
        head_scan::state::complete);
}

TEST_CASE("scanning resumes: byte-at-a-time equals one shot", "[http][head_scanner]") {
  const std::string head = head_with_fields(20) + "GET /next HTTP/1.1\r\n";
  const auto one_shot = scan(head);
  head_scanner scanner{head_limits{}};
  head_scan r;
  std::size_t calls = 0;
  for (std::size_t n = 0; n <= head.size(); ++n) {
    r = scanner.scan(std::string_view(head).substr(0, n));
    ++calls;
    if (r.st != head_scan::state::incomplete) break;
  }
  CHECK(r.st == head_scan::state::complete);
  CHECK(r.head_bytes == one_shot.head_bytes);
  CHECK(calls == one_shot.head_bytes + 1);

  // Sticky until reset, then reusable for the next request.
  CHECK(scanner.scan("garbage").st == head_scan::state::complete);
  scanner.reset();
  CHECK(scanner.scan(" bad").st == head_scan::state::error);
  CHECK(scanner.scan(" bad").reason == errc::bad_request);
}

TEST_CASE("errors found while resuming match one shot", "[http][head_scanner]") {
  const std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n folded\r\n\r\n";
  head_scanner scanner{head_limits{}};
  head_scan r;
  for (std::size_t n = 0; n <= head.size() && r.st == head_scan::state::incomplete; ++n)
    r = scanner.scan(std::string_view(head).substr(0, n));
  CHECK(r.reason == errc::obs_fold);
}
