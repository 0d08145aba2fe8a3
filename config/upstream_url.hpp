#pragma once
// Upstream URLs name a server, not a resource: scheme, host and optional port only. A path would be
// ambiguous (prefix or replacement?), userinfo would leak credentials into config dumps.

#include "config/parsed.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace cba::config {

struct upstream_url {
  bool https = false;
  std::string host;  // without the brackets of an IPv6 literal
  std::uint16_t port = 0;  // 80 / 443 when not written
};

parsed<upstream_url> parse_upstream_url(std::string_view text);

}  // namespace cba::config
