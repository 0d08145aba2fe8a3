#pragma once
// Listener and admin addresses: "host:port", "[v6]:port". Port 0 is accepted (tests bind port 0 and
// read the chosen port back).

#include "config/parsed.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace cba::config {

struct host_port {
  std::string host;  // without the brackets of an IPv6 literal
  std::uint16_t port = 0;
};

parsed<host_port> parse_host_port(std::string_view text);

// The authority part shared with URLs: "host", "host:port", "[::1]", "[::1]:8443".
// `port` stays default_port when the text has none.
parsed<host_port> parse_authority(std::string_view text, std::uint16_t default_port, bool port_required);

}  // namespace cba::config
