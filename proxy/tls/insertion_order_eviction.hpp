#pragma once
// Eviction for a bounded map whose entries all live the same time from insertion (verdict_cache,
// session_store): insertion order is then expiry order, so a deque of (key, leaves_ms) records in
// insertion order finds both the expired entries and the oldest ones without scanning the map.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>

namespace cba::tls {

// Drops records whose time is up from the front of `order`, then the oldest until `map` has room for one
// more and `order` is under twice `capacity` (records of keys already taken out count too). A record
// erases its map entry only while `leaves_of(entry)` still equals the record's time: a key stored again
// later keeps its newer entry.
template <class Map, class LeavesOf>
void evict_in_insertion_order(Map& map, std::deque<std::pair<typename Map::key_type, std::int64_t>>& order,
                              std::size_t capacity, std::int64_t now_ms, LeavesOf leaves_of) {
  while (!order.empty() &&
         (order.front().second <= now_ms || map.size() >= capacity || order.size() >= 2 * capacity)) {
    const auto& [key, leaves] = order.front();
    if (auto it = map.find(key); it != map.end() && leaves_of(it->second) == leaves) map.erase(it);
    order.pop_front();
  }
}

}  // namespace cba::tls
