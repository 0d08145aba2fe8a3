#pragma once
// Test helper: runs a complete request head through Beast's request_parser, as the session does.

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <string_view>

namespace cba::http::test {

struct beast_parse {
  boost::beast::error_code ec;
  boost::beast::http::request_header<> header;
};

inline beast_parse parse_with_beast(std::string_view head) {
  boost::beast::http::request_parser<boost::beast::http::empty_body> parser;
  parser.header_limit(1 << 20);
  parser.eager(false);
  beast_parse out;
  parser.put(boost::asio::buffer(head.data(), head.size()), out.ec);
  if (!out.ec && !parser.is_header_done()) out.ec = boost::beast::http::error::need_more;
  if (!out.ec) out.header = parser.get().base();
  return out;
}

}  // namespace cba::http::test
