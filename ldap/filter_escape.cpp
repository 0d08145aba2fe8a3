#include "ldap/filter_escape.hpp"

namespace cba::ldap {

std::string escape_filter_value(std::string_view value) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '*':
      case '(':
      case ')':
      case '\\':
      case '\0': {
        const auto u = static_cast<unsigned char>(c);
        out += '\\';
        out += hex[u >> 4];
        out += hex[u & 15];
        break;
      }
      default: out += c;
    }
  }
  return out;
}

std::string expand_user_filter(std::string_view filter, std::string_view upn) {
  static constexpr std::string_view placeholder = "{upn}";
  const std::string escaped = escape_filter_value(upn);
  std::string out;
  std::size_t at = 0;
  for (;;) {
    const auto next = filter.find(placeholder, at);
    out += filter.substr(at, next - at);
    if (next == std::string_view::npos) break;
    out += escaped;
    at = next + placeholder.size();
  }
  return out;
}

}  // namespace cba::ldap
