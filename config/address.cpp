#include "config/address.hpp"

#include <algorithm>
#include <cctype>

namespace cba::config {
namespace {

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
}

bool is_v6_char(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
}

// An empty string when fine, else why not.
std::string check_port(std::string_view text, std::uint16_t& port) {
  if (text.empty()) return "the port is empty";
  if (text.size() > 5 || !std::all_of(text.begin(), text.end(),
                                      [](char c) { return c >= '0' && c <= '9'; })) {
    return "the port must be a number from 0 to 65535";
  }
  unsigned value = 0;
  for (char c : text) value = value * 10 + static_cast<unsigned>(c - '0');
  if (value > 65535) return "the port must be a number from 0 to 65535";
  port = static_cast<std::uint16_t>(value);
  return {};
}

}  // namespace

parsed<host_port> parse_authority(std::string_view text, std::uint16_t default_port, bool port_required) {
  host_port out;
  out.port = default_port;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return {std::nullopt, "'[' without a closing ']'"};
    const auto host = text.substr(1, close - 1);
    if (host.empty() || host.find(':') == std::string_view::npos ||
        !std::all_of(host.begin(), host.end(), is_v6_char)) {
      return {std::nullopt, "\"" + std::string(host) + "\" is not an IPv6 address"};
    }
    out.host = std::string(host);
    rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      return {std::nullopt, "expected ':port' after ']'"};
    }
  } else {
    const auto colon = text.rfind(':');
    const auto host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos) {
      return {std::nullopt, "an IPv6 address needs brackets, like [::1]:443"};
    }
    if (host.empty()) return {std::nullopt, "the host is empty"};
    if (!std::all_of(host.begin(), host.end(), is_name_char)) {
      return {std::nullopt, "\"" + std::string(host) + "\" is not a host name or address"};
    }
    out.host = std::string(host);
    if (colon != std::string_view::npos) rest = text.substr(colon);
  }
  if (rest.empty()) {
    if (port_required) return {std::nullopt, "the port is missing"};
    return {std::move(out), {}};
  }
  if (auto why = check_port(rest.substr(1), out.port); !why.empty()) return {std::nullopt, why};
  return {std::move(out), {}};
}

parsed<host_port> parse_host_port(std::string_view text) {
  auto result = parse_authority(text, 0, true);
  if (!result.value) {
    result.error = "expected host:port like 0.0.0.0:443 or [::]:443, got \"" + std::string(text) +
                   "\" (" + result.error + ")";
  }
  return result;
}

}  // namespace cba::config
