#pragma once
// Picks the route of a request: the longest path_prefix that matches the path, ASCII case-insensitive
// like IIS, and only at a segment boundary ("/owa" matches "/owa", "/owa/", "/OWA/x?y", "/owa?x", never
// "/owabc"). The prefix "/" matches every path. The query string plays no part.
// Run check_request_path first: matching assumes a path that the upstream will not normalise.

#include "config/config.hpp"

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace cba::http {

class route_table {
 public:
  explicit route_table(std::vector<config::route_config> routes);

  // nullptr: no route (the session answers 404 no_route).
  const config::route_config* match(std::string_view target) const noexcept;
  // The index into the vector given to the constructor (metrics and logs name routes by it).
  std::optional<std::size_t> match_index(std::string_view target) const noexcept;

  const std::vector<config::route_config>& routes() const noexcept { return routes_; }

 private:
  std::vector<config::route_config> routes_;  // as configured
  std::vector<std::size_t> by_length_;        // indexes into routes_, longest prefix first
};

// True when `prefix` matches `path` (no query) under the rules above.
bool prefix_matches(std::string_view prefix, std::string_view path) noexcept;

}  // namespace cba::http
