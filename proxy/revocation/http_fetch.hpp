#pragma once
// A small HTTP/1.1 client for revocation data (CRL downloads, OCSP POSTs). http:// only: CRLs and OCSP
// responses carry their own signatures, and RFC 5280 / 6960 distribution points are plain http. One
// request per connection ("Connection: close"), one deadline covering resolve, connect, write and read,
// and a bound on the response body so a hostile or broken server cannot exhaust memory.

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace cba::revocation {

struct http_url {
  std::string host;    // without the brackets of an IPv6 literal
  std::string port;    // "80" when not written
  std::string target;  // "/path?query", "/" when empty
};

// "http://host[:port][/path]" -> parts; nullopt for other schemes, userinfo, an empty host or a bad port.
std::optional<http_url> parse_http_url(std::string_view url);

struct http_request {
  std::string url;
  std::string content_type;  // empty: GET; else POST `body` with this Content-Type
  std::string body;
  std::chrono::milliseconds timeout{5000};
  std::size_t max_body_bytes = 10 * 1024 * 1024;
};

struct http_response {
  std::string body;
  std::string error;  // empty on success (status 200, body within the bound), else what went wrong
  bool ok() const noexcept { return error.empty(); }
};

// Runs on the caller's executor (the revocation worker); never throws for network problems.
boost::asio::awaitable<http_response> http_fetch(http_request request);

}  // namespace cba::revocation
