#pragma once
// Checks a parsed request header for the framing and form ambiguities that let a client smuggle a
// second request past the proxy or reach the upstream in a form it routes differently. Runs after
// Beast's parser accepted the head and before routing.
//
// What Beast 1.81's request_parser already refuses on its own (tests/http/beast_behaviour_tests.cpp
// records it, so a Beast upgrade that changes it fails a test):
//  - Content-Length after Transfer-Encoding: chunked            -> http::error::bad_content_length
//  - Transfer-Encoding after Content-Length                     -> http::error::bad_transfer_encoding
//  - Transfer-Encoding twice when the first one was chunked      -> http::error::bad_transfer_encoding
//  - two Content-Length with different values, "1, 2"           -> http::error::multiple_content_length
//  - non-digit Content-Length                                    -> http::error::bad_content_length
// What it accepts and this check refuses:
//  - Content-Length twice with equal values, "5, 5"              -> duplicate_content_length
//  - Transfer-Encoding: gzip (not chunked) followed by Content-Length: Beast frames by Content-Length,
//    a server honouring TE would not                             -> smuggling_cl_te
//  - Transfer-Encoding other than exactly "chunked"              -> bad_request
//  - HTTP/1.0 with Transfer-Encoding, missing/duplicate Host, non-origin-form targets, CONNECT, Upgrade,
//    HTTP versions other than 1.0 and 1.1.

#include "proxy/error.hpp"

#include <boost/beast/http/message.hpp>

#include <cstdint>
#include <string>

namespace cba::http {

enum class body_framing { none, content_length, chunked };

struct framing_verdict {
  cba::errc reason = cba::errc::ok;  // ok, bad_request, smuggling_cl_te, duplicate_content_length,
                                     // bad_content_length
  std::string detail;                // set when reason != ok
  body_framing body = body_framing::none;
  std::uint64_t content_length = 0;  // body == content_length only

  bool ok() const noexcept { return reason == cba::errc::ok; }
};

framing_verdict check_request_framing(const boost::beast::http::request_header<>& header);

}  // namespace cba::http
