// Records what Boost.Beast 1.81's request_parser does on its own with ambiguous framing, so the
// session knows which refusals come from Beast (an error_code from parser.put) and which from
// check_request_framing. If a Beast upgrade changes any of these, this test says so.

#include "proxy/http/head_scanner.hpp"
#include "proxy/http/path_policy.hpp"
#include "proxy/http/request_framing.hpp"

#include "tests/http/parsed_head.hpp"

#include <boost/beast/http/error.hpp>

#include <catch2/catch.hpp>

#include <string>

using cba::errc;
using cba::http::check_request_framing;
using cba::http::test::parse_with_beast;
namespace bhttp = boost::beast::http;

TEST_CASE("Beast 1.81 refuses some smuggling forms itself", "[http][beast]") {
  // TE: chunked, then CL.
  CHECK(parse_with_beast("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n").ec ==
        bhttp::error::bad_content_length);
  // CL, then TE.
  CHECK(parse_with_beast("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n").ec ==
        bhttp::error::bad_transfer_encoding);
  // Two different Content-Length values, as two fields or as a list.
  CHECK(parse_with_beast("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n").ec ==
        bhttp::error::multiple_content_length);
  CHECK(parse_with_beast("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n").ec ==
        bhttp::error::multiple_content_length);
  CHECK(parse_with_beast("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n").ec ==
        bhttp::error::bad_content_length);
  // chunked twice.
  CHECK(parse_with_beast("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n")
            .ec == bhttp::error::bad_transfer_encoding);
}

TEST_CASE("Beast 1.81 accepts forms that check_request_framing refuses", "[http][beast]") {
  struct row {
    std::string_view head;
    errc ours;
  };
  const row rows[] = {
      {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", errc::duplicate_content_length},
      {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n", errc::duplicate_content_length},
      // TE without chunked does not set Beast's chunked flag, so a later CL is taken as the framing.
      {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\n", errc::smuggling_cl_te},
      {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", errc::bad_request},
      {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", errc::bad_request},
      {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", errc::bad_request},
      {"GET / HTTP/1.1\r\n\r\n", errc::bad_request},
      {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", errc::bad_request},
      {"GET http://evil/ HTTP/1.1\r\nHost: h\r\n\r\n", errc::bad_request},
      {"CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n", errc::bad_request},
      {"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n", errc::bad_request},
  };
  for (const auto& r : rows) {
    CAPTURE(r.head);
    const auto parsed = parse_with_beast(r.head);
    CHECK_FALSE(parsed.ec);
    if (!parsed.ec) CHECK(check_request_framing(parsed.header).reason == r.ours);
  }
}

TEST_CASE("Beast 1.81 on line-level oddities that the head scanner refuses first", "[http][beast]") {
  using namespace std::string_literals;
  struct row {
    std::string head;
    boost::beast::error_code beast;  // empty: Beast accepts it
  };
  const row rows[] = {
      // Beast 1.81 accepts obs-fold and joins the lines ("1 2"): only the head scanner refuses it.
      {"GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n 2\r\n\r\n", {}},
      {"GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\t2\r\n\r\n", {}},
      {"GET / HTTP/1.1\nHost: h\n\n", bhttp::error::bad_version},
      {"GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", bhttp::error::bad_value},
      {"GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", bhttp::error::bad_line_ending},
      {"GET / HTTP/1.1\r\nHost : h\r\n\r\n", bhttp::error::bad_field},
      {"GET / HTTP/1.1\r\n: h\r\n\r\n", bhttp::error::bad_field},
      {"GET / HTTP/1.1\r\nHost: h\0y\r\n\r\n"s, bhttp::error::bad_value},
      {"\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", bhttp::error::bad_method},
      {" GET / HTTP/1.1\r\nHost: h\r\n\r\n", bhttp::error::bad_method},
      {"GET / HTTP/2.0\r\nHost: h\r\n\r\n", bhttp::error::bad_version},
      // Targets Beast accepts and check_request_path refuses.
      {"GET /a\\b HTTP/1.1\r\nHost: h\r\n\r\n", {}},
      {"GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n", {}},
      {"GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", {}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.head);
    const auto parsed = parse_with_beast(r.head);
    CHECK(parsed.ec == r.beast);
    // Whatever Beast lets through, one of our checks refuses.
    if (!parsed.ec) {
      const auto scanned = cba::http::scan_request_head(r.head, cba::http::head_limits{});
      CHECK((scanned.st == cba::http::head_scan::state::error ||
             !cba::http::check_request_path(parsed.header.target()).ok()));
    }
  }
}

// Beast 1.81's header_limit is not exact: on a head that arrives in one piece it bounds the field lines
// but not the request line before them, so a head of limit+1 bytes passes; fed a byte at a time it is
// exact. The head scanner is exact both ways, which is why it, not Beast, decides 431.
TEST_CASE("Beast's header_limit depends on how the bytes arrive; the scanner's does not", "[http][beast]") {
  const std::string start = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: ";
  const auto head_of = [&](std::size_t total) { return start + std::string(total - start.size() - 4, 'a') + "\r\n\r\n"; };
  const auto beast_with_limit = [](const std::string& head, std::uint32_t limit, bool byte_at_a_time) {
    bhttp::request_parser<bhttp::empty_body> parser;
    parser.header_limit(limit);
    parser.eager(false);
    boost::beast::error_code ec;
    if (!byte_at_a_time) {
      parser.put(boost::asio::buffer(head.data(), head.size()), ec);
      return ec;
    }
    std::size_t used = 0;
    for (std::size_t n = 1; n <= head.size(); ++n) {
      ec = {};
      used += parser.put(boost::asio::buffer(head.data() + used, n - used), ec);
      if (ec != bhttp::error::need_more) break;
    }
    return ec;
  };
  CHECK_FALSE(beast_with_limit(head_of(1000), 1000, false));
  CHECK_FALSE(beast_with_limit(head_of(1000), 1000, true));
  CHECK_FALSE(beast_with_limit(head_of(1001), 1000, false));  // the imprecision
  CHECK(beast_with_limit(head_of(1001), 1000, true) == bhttp::error::header_limit);
  CHECK(beast_with_limit(head_of(1500), 1000, false) == bhttp::error::header_limit);

  const cba::http::head_limits limits{1000, 100};
  CHECK(cba::http::scan_request_head(head_of(1000), limits).st == cba::http::head_scan::state::complete);
  CHECK(cba::http::scan_request_head(head_of(1001), limits).reason == errc::header_too_large);
}
