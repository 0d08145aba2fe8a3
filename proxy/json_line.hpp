#pragma once
// One JSON object on one line, built field by field (access and event logs). Strings are escaped per
// RFC 8259, so certificate subjects or UPNs with quotes or control characters cannot break a line.

#include <cstdint>
#include <string>
#include <string_view>

namespace cba {

class json_line {
 public:
  json_line& add(std::string_view key, std::string_view value);
  json_line& add(std::string_view key, const char* value) { return add(key, std::string_view(value)); }
  json_line& add(std::string_view key, std::int64_t value);
  json_line& add(std::string_view key, std::uint64_t value);
  json_line& add(std::string_view key, unsigned value) { return add(key, std::uint64_t{value}); }
  json_line& add(std::string_view key, int value) { return add(key, std::int64_t{value}); }
  json_line& add(std::string_view key, double value);
  json_line& add(std::string_view key, bool value);
  // Adds the field only when value is not empty (keeps lines short for refusals).
  json_line& add_if(std::string_view key, std::string_view value);
  // The finished line, "{...}" without a newline.
  std::string str() const { return body_ + "}"; }

 private:
  void key(std::string_view k);
  std::string body_ = "{";
};

void append_json_escaped(std::string& out, std::string_view value);

}  // namespace cba
