#include "config/upstream_url.hpp"

#include "config/address.hpp"

#include <algorithm>
#include <cctype>

namespace cba::config {

parsed<upstream_url> parse_upstream_url(std::string_view text) {
  const auto fail = [&](std::string why) {
    return parsed<upstream_url>{std::nullopt, "expected a URL like https://exchange.example.test:443, got \"" +
                                                  std::string(text) + "\" (" + why + ")"};
  };
  upstream_url out;
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return fail("the scheme must be http:// or https://");
  std::string scheme(text.substr(0, scheme_end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme == "https") {
    out.https = true;
  } else if (scheme != "http") {
    return fail("the scheme must be http:// or https://");
  }
  auto rest = text.substr(scheme_end + 3);
  const auto authority_end = rest.find_first_of("/?#");
  const auto authority = rest.substr(0, authority_end);
  const auto tail = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return fail("user information (user@host) is not allowed");
  }
  if (tail.find('?') != std::string_view::npos) return fail("a query is not allowed");
  if (tail.find('#') != std::string_view::npos) return fail("a fragment is not allowed");
  if (!tail.empty() && tail != "/") {
    return fail("a path is not supported; requests keep the client's path");
  }
  if (authority.empty()) return fail("the host is empty");
  auto authority_result = parse_authority(authority, out.https ? 443 : 80, false);
  if (!authority_result.value) return fail(authority_result.error);
  out.host = std::move(authority_result.value->host);
  out.port = authority_result.value->port;
  if (out.port == 0) return fail("port 0 is not a port a server listens on");
  return {std::move(out), {}};
}

}  // namespace cba::config
