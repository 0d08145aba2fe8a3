#include "ldap/lookup_cache.hpp"

namespace cba::ldap {

std::optional<lookup_result> lookup_cache::find(const std::string& key, clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  if (it->second->expires <= now) {
    lru_.erase(it->second);
    index_.erase(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->result;
}

void lookup_cache::store(const std::string& key, const lookup_result& result, clock::duration ttl,
                         clock::time_point now) {
  if (ttl <= clock::duration::zero() || max_entries_ == 0) return;
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(key); it != index_.end()) {
    it->second->result = result;
    it->second->expires = now + ttl;
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  lru_.push_front(entry{key, result, now + ttl});
  index_.emplace(key, lru_.begin());
  while (lru_.size() > max_entries_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

std::size_t lookup_cache::size() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

}  // namespace cba::ldap
