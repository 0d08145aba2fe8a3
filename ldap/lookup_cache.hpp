#pragma once
// The lookup cache: results keyed by normalised UPN, each with its own expiry, least recently used
// entries evicted beyond max_entries. Found accounts and definite refusals (not_found, ambiguous) are
// cached; the caller decides which results to store. Thread-safe (one mutex; operations are O(1)).

#include "ldap/directory.hpp"

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace cba::ldap {

class lookup_cache {
 public:
  using clock = std::chrono::steady_clock;

  explicit lookup_cache(std::size_t max_entries) : max_entries_(max_entries) {}

  // The unexpired result for `key`, which becomes the most recently used; nullopt otherwise (an
  // expired entry is removed).
  std::optional<lookup_result> find(const std::string& key, clock::time_point now);
  // Stores `result` until now + ttl (nothing when ttl <= 0 or max_entries is 0).
  void store(const std::string& key, const lookup_result& result, clock::duration ttl, clock::time_point now);
  std::size_t size() const;

 private:
  struct entry {
    std::string key;
    lookup_result result;
    clock::time_point expires;
  };

  const std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::list<entry> lru_;  // front: most recently used
  std::unordered_map<std::string, std::list<entry>::iterator> index_;
};

}  // namespace cba::ldap
