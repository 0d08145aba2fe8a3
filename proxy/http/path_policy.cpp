#include "proxy/http/path_policy.hpp"

#include "proxy/http/ascii.hpp"

#include <cstddef>
#include <string>
#include <utility>

namespace cba::http {
namespace {

path_verdict refuse(std::string detail) {
  path_verdict v;
  v.reason = cba::errc::bad_request;
  v.detail = std::move(detail);
  return v;
}

bool is_dot_segment(std::string_view segment) { return segment == "." || segment == ".."; }

// Windows drops trailing dots and spaces from file and folder names: IIS may serve "/owa./" as "/owa/".
bool ends_like_windows_trims(std::string_view segment) {
  return (!segment.empty() && segment.back() == '.') ||
         (segment.size() >= 3 && ascii::iequals(segment.substr(segment.size() - 3), "%20"));
}

// Validates the UTF-8 of the percent-decoded path (RFC 3629: no overlong forms, no surrogates, at
// most U+10FFFF). Returns false on the first malformed sequence.
bool is_well_formed_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = ascii::byte(s[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      len = 2;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      len = 3;
      if (b0 == 0xe0) lo = 0xa0;
      if (b0 == 0xed) hi = 0x9f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      len = 4;
      if (b0 == 0xf0) lo = 0x90;
      if (b0 == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = ascii::byte(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf)) return false;
    }
    i += len;
  }
  return true;
}

}  // namespace

std::string_view path_of(std::string_view target) noexcept {
  return target.substr(0, target.find('?'));
}

path_verdict check_request_path(std::string_view target) {
  if (target == "*") return {};
  const std::string_view path = path_of(target);
  if (path.empty() || path.front() != '/') return refuse("request path must start with \"/\"");

  std::string decoded;  // percent-decoded path, only for the UTF-8 check
  decoded.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '%') {
      if (path.size() - i < 3 || !ascii::is_hex(path[i + 1]) || !ascii::is_hex(path[i + 2]))
        return refuse("malformed percent-encoding in the path");
      const auto value = static_cast<char>(ascii::hex_value(path[i + 1]) * 16 + ascii::hex_value(path[i + 2]));
      switch (value) {
        case '.': return refuse("percent-encoded '.' in the path");
        case '/': return refuse("percent-encoded '/' in the path");
        case '\\': return refuse("percent-encoded '\\' in the path");
        case '%': return refuse("percent-encoded '%' in the path (double encoding)");
        case ';': return refuse("percent-encoded ';' in the path");
        case ':': return refuse("percent-encoded ':' in the path");
        default: break;
      }
      if (ascii::is_ctl(value)) return refuse("percent-encoded control character in the path");
      decoded.push_back(value);
      i += 2;
      continue;
    }
    if (c == '\\') return refuse("backslash in the path");
    if (c == ';') return refuse("';' in the path");
    if (c == ':') return refuse("':' in the path");
    if (c == '#') return refuse("fragment in the request-target");
    if (c == ' ') return refuse("space in the path");
    if (ascii::is_ctl(c)) return refuse("control character in the path");
    if (ascii::byte(c) >= 0x80) return refuse("non-ASCII byte in the path (must be percent-encoded)");
    decoded.push_back(c);
  }
  if (!is_well_formed_utf8(decoded)) return refuse("percent-encoded bytes in the path are not valid UTF-8");

  // Segments: path starts with '/', so splitting after it yields every segment, the last one too.
  std::size_t start = 1;
  while (true) {
    const std::size_t end = path.find('/', start);
    const std::string_view segment = path.substr(start, end == std::string_view::npos ? end : end - start);
    if (is_dot_segment(segment)) return refuse("dot-segment (\".\" or \"..\") in the path");
    if (ends_like_windows_trims(segment))
      return refuse("path segment ending in '.' or space (Windows servers drop them)");
    if (end == std::string_view::npos) break;
    if (segment.empty()) return refuse("empty path segment (\"//\") in the path");
    start = end + 1;
  }
  return {};
}

}  // namespace cba::http
