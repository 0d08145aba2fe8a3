#include "proxy/http/request_framing.hpp"

#include "proxy/http/ascii.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <limits>
#include <string_view>
#include <utility>

namespace cba::http {
namespace {

namespace bhttp = boost::beast::http;

framing_verdict refuse(cba::errc reason, std::string detail) {
  framing_verdict v;
  v.reason = reason;
  v.detail = std::move(detail);
  return v;
}

// Only 1*DIGIT; Beast has already trimmed surrounding whitespace.
bool parse_content_length(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!ascii::is_digit(c)) return false;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

// The Host value is an authority without userinfo: reg-name / IP-literal and an optional port. A
// slash, '@', whitespace or a backslash in it means some component downstream will read it otherwise.
bool is_host_char(char c) {
  if (ascii::is_alpha(c) || ascii::is_digit(c)) return true;
  switch (c) {
    case '-': case '.': case '_': case '~': case '!': case '$': case '&': case '\'': case '(': case ')':
    case '*': case '+': case ',': case ';': case '=': case ':': case '[': case ']': case '%':
      return true;
    default:
      return false;
  }
}

}  // namespace

framing_verdict check_request_framing(const bhttp::request_header<>& header) {
  const unsigned version = header.version();
  if (version != 10 && version != 11)
    return refuse(cba::errc::bad_request, "HTTP version not supported (only HTTP/1.0 and HTTP/1.1)");

  if (header.method() == bhttp::verb::connect) return refuse(cba::errc::bad_request, "CONNECT not supported");

  const std::string_view target = header.target();
  if (target == "*") {
    if (header.method() != bhttp::verb::options)
      return refuse(cba::errc::bad_request, "request-target \"*\" is only allowed with OPTIONS");
  } else if (target.empty() || target.front() != '/') {
    return refuse(cba::errc::bad_request, "request-target must be origin-form (start with \"/\")");
  }

  const auto hosts = header.count(bhttp::field::host);
  if (hosts > 1) return refuse(cba::errc::bad_request, "more than one Host header");
  if (hosts == 0 && version == 11) return refuse(cba::errc::bad_request, "Host header missing (HTTP/1.1)");
  if (hosts == 1) {
    for (char c : header[bhttp::field::host])
      if (!is_host_char(c)) return refuse(cba::errc::bad_request, "invalid character in the Host header");
  }

  if (header.count(bhttp::field::upgrade) > 0) return refuse(cba::errc::bad_request, "upgrade not supported");

  const auto content_lengths = header.count(bhttp::field::content_length);
  const auto transfer_encodings = header.count(bhttp::field::transfer_encoding);

  if (content_lengths > 0 && transfer_encodings > 0)
    return refuse(cba::errc::smuggling_cl_te, "both Content-Length and Transfer-Encoding present");

  framing_verdict verdict;
  if (transfer_encodings > 0) {
    if (version == 10) return refuse(cba::errc::bad_request, "Transfer-Encoding in an HTTP/1.0 request");
    if (transfer_encodings > 1) return refuse(cba::errc::bad_request, "Transfer-Encoding listed more than once");
    // Exactly one coding, chunked. Anything else (gzip, "chunked, chunked", an empty value) is a
    // coding we cannot relay or a list parsers disagree on.
    if (!ascii::iequals(header[bhttp::field::transfer_encoding], "chunked"))
      return refuse(cba::errc::bad_request, "unsupported transfer-coding (only \"chunked\" is accepted)");
    verdict.body = body_framing::chunked;
    return verdict;
  }

  if (content_lengths > 1)
    return refuse(cba::errc::duplicate_content_length, "more than one Content-Length header");
  if (content_lengths == 1) {
    const std::string_view value = header[bhttp::field::content_length];
    if (value.find(',') != std::string_view::npos)
      return refuse(cba::errc::duplicate_content_length, "Content-Length holds a list of values");
    std::uint64_t length = 0;
    if (!parse_content_length(value, length))
      return refuse(cba::errc::bad_content_length, "Content-Length is not a decimal number of bytes");
    verdict.body = body_framing::content_length;
    verdict.content_length = length;
  }
  return verdict;
}

}  // namespace cba::http
