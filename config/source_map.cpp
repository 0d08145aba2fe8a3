#include "config/source_map.hpp"

namespace cba::config {

void source_map::record(const std::string& key_path, position where) {
  positions_.insert_or_assign(key_path, where);
}

bool source_map::contains(std::string_view key_path) const {
  return positions_.find(key_path) != positions_.end();
}

position source_map::find(std::string_view key_path) const {
  for (;;) {
    if (const auto it = positions_.find(key_path); it != positions_.end()) return it->second;
    if (key_path.empty()) return {};
    key_path = parent_key_path(key_path);
  }
}

std::string_view parent_key_path(std::string_view key_path) {
  if (!key_path.empty() && key_path.back() == ']') {
    const auto open = key_path.rfind('[');
    return open == std::string_view::npos ? std::string_view{} : key_path.substr(0, open);
  }
  const auto dot = key_path.rfind('.');
  const auto bracket = key_path.rfind('[');
  if (dot == std::string_view::npos) return {};
  if (bracket != std::string_view::npos && bracket > dot) return key_path.substr(0, bracket);
  return key_path.substr(0, dot);
}

}  // namespace cba::config
