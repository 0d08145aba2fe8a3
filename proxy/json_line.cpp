#include "proxy/json_line.hpp"

#include <cstdio>

namespace cba {

void append_json_escaped(std::string& out, std::string_view value) {
  static constexpr char hex[] = "0123456789abcdef";
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += "\\u00";
          out += hex[u >> 4];
          out += hex[u & 0xf];
        } else {
          out += c;
        }
    }
  }
}

void json_line::key(std::string_view k) {
  if (body_.size() > 1) body_ += ',';
  body_ += '"';
  append_json_escaped(body_, k);
  body_ += "\":";
}

json_line& json_line::add(std::string_view k, std::string_view value) {
  key(k);
  body_ += '"';
  append_json_escaped(body_, value);
  body_ += '"';
  return *this;
}

json_line& json_line::add(std::string_view k, std::int64_t value) {
  key(k);
  body_ += std::to_string(value);
  return *this;
}

json_line& json_line::add(std::string_view k, std::uint64_t value) {
  key(k);
  body_ += std::to_string(value);
  return *this;
}

json_line& json_line::add(std::string_view k, double value) {
  key(k);
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", value);
  body_ += text;
  return *this;
}

json_line& json_line::add(std::string_view k, bool value) {
  key(k);
  body_ += value ? "true" : "false";
  return *this;
}

json_line& json_line::add_if(std::string_view k, std::string_view value) {
  if (!value.empty()) add(k, value);
  return *this;
}

}  // namespace cba
