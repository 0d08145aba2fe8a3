#pragma once
// ASCII lower-casing for config values and keys (enum names, units, UPN suffixes): YAML text is
// compared case-insensitively in ASCII only, never by locale.

#include <string>
#include <string_view>

namespace cba::config {

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace cba::config
