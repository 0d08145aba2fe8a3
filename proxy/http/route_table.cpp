#include "proxy/http/route_table.hpp"

#include "proxy/http/ascii.hpp"
#include "proxy/http/path_policy.hpp"

#include <algorithm>
#include <numeric>
#include <utility>

namespace cba::http {

bool prefix_matches(std::string_view prefix, std::string_view path) noexcept {
  if (!ascii::istarts_with(path, prefix)) return false;
  // A prefix that ends in '/' ends at a boundary by construction; otherwise the path must end there
  // or continue with a new segment.
  if (!prefix.empty() && prefix.back() == '/') return true;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

route_table::route_table(std::vector<config::route_config> routes) : routes_(std::move(routes)) {
  by_length_.resize(routes_.size());
  std::iota(by_length_.begin(), by_length_.end(), std::size_t{0});
  // Stable: of two equally long prefixes (validation should refuse duplicates) the first configured wins.
  std::stable_sort(by_length_.begin(), by_length_.end(), [this](std::size_t a, std::size_t b) {
    return routes_[a].path_prefix.size() > routes_[b].path_prefix.size();
  });
}

std::optional<std::size_t> route_table::match_index(std::string_view target) const noexcept {
  const std::string_view path = path_of(target);
  for (std::size_t index : by_length_)
    if (prefix_matches(routes_[index].path_prefix, path)) return index;
  return std::nullopt;
}

const config::route_config* route_table::match(std::string_view target) const noexcept {
  const auto index = match_index(target);
  return index ? &routes_[*index] : nullptr;
}

}  // namespace cba::http
