#pragma once
// Where each key of the config file was written, so checks that run after parsing (cross-references,
// referenced files, unsupported features) can still point at a line and column. A key that was not
// written (a default) resolves to its nearest written ancestor: "routes[2].service_principal" falls back
// to "routes[2]", then "routes", then the document.

#include <map>
#include <string>
#include <string_view>

namespace cba::config {

struct position {
  int line = 0;    // 1-based; 0: unknown
  int column = 0;  // 1-based; 0: unknown
};

class source_map {
 public:
  void record(const std::string& key_path, position where);
  // The position of key_path, or of its nearest recorded ancestor; {0,0} when none.
  position find(std::string_view key_path) const;
  bool contains(std::string_view key_path) const;

 private:
  std::map<std::string, position, std::less<>> positions_;
};

// "a.b[2].c" -> "a.b[2]" -> "a.b" -> "a" -> "".
std::string_view parent_key_path(std::string_view key_path);

}  // namespace cba::config
