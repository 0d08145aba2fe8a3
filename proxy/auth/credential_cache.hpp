#pragma once
// The per-(user, SPN) cache behind delegation_service: least-recently-used, bounded, expiring, with
// single-flight misses. Blocking by design: it runs on the delegation pool, where the leader of a miss
// does the KDC exchange in the calling thread and the other callers for that key wait for it (a
// waiter always waits for a leader that is already running, so a bounded pool cannot deadlock).
// Thread safety: every member may be called from any thread.

#include <boost/system/result.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace cba::auth {

template <class Value, class Error>
class credential_cache {
 public:
  using clock = std::chrono::steady_clock;
  enum class source { hit, led, joined };
  struct fetched {
    Value value;
    clock::time_point fresh_until;  // the entry is used until then (already minus the refresh margin)
  };
  using fetch_result = boost::system::result<fetched, Error>;
  struct outcome {
    boost::system::result<Value, Error> value;
    source from = source::hit;
  };

  // max_entries 0 disables keeping entries (misses still fly once).
  explicit credential_cache(std::size_t max_entries) : max_entries_(max_entries) {}

  // The value for `key`: a fresh entry (hit), or the result of `fetch()` run here (led) or by a
  // concurrent caller (joined). `wait_limit` bounds a joiner's wait; past it `timeout_error` is returned.
  // A failed fetch is not cached: every joiner gets the leader's error, the next call tries again.
  // `fetch` must not throw (a thrown exception would leave the flight open until the joiners time out).
  template <class Fetch>
  outcome get(const std::string& key, Fetch&& fetch, clock::duration wait_limit, const Error& timeout_error) {
    std::unique_lock lock(mutex_);
    if (auto it = entries_.find(key); it != entries_.end()) {
      if (clock::now() < it->second.fresh_until) {
        lru_.splice(lru_.begin(), lru_, it->second.lru_pos);
        return {it->second.value, source::hit};
      }
      erase(it);
    }
    if (auto f = flights_.find(key); f != flights_.end()) {
      const std::shared_ptr<flight> fl = f->second;
      const bool done = fl->cv.wait_for(lock, wait_limit, [&] { return fl->result.has_value(); });
      if (!done) return {timeout_error, source::joined};
      if (fl->result->has_value()) return {(*fl->result)->value, source::joined};
      return {fl->result->error(), source::joined};
    }
    auto fl = std::make_shared<flight>();
    flights_.emplace(key, fl);
    lock.unlock();

    fetch_result r = fetch();  // the KDC exchange, without the lock

    lock.lock();
    flights_.erase(key);
    if (r.has_value() && max_entries_ > 0 && clock::now() < r->fresh_until) insert(key, *r);
    fl->result = r;
    fl->cv.notify_all();
    if (r.has_value()) return {r->value, source::led};
    return {r.error(), source::led};
  }

  void invalidate(const std::string& key) {
    const std::lock_guard lock(mutex_);
    if (auto it = entries_.find(key); it != entries_.end()) erase(it);
  }

  std::size_t size() const {
    const std::lock_guard lock(mutex_);
    return entries_.size();
  }

 private:
  struct entry {
    Value value;
    clock::time_point fresh_until;
    std::list<std::string>::iterator lru_pos;
  };
  struct flight {
    std::condition_variable cv;
    std::optional<fetch_result> result;
  };
  using map = std::unordered_map<std::string, entry>;

  void erase(typename map::iterator it) {
    lru_.erase(it->second.lru_pos);
    entries_.erase(it);
  }
  void insert(const std::string& key, const fetched& f) {
    if (auto it = entries_.find(key); it != entries_.end()) erase(it);
    while (entries_.size() >= max_entries_ && !lru_.empty()) erase(entries_.find(lru_.back()));
    lru_.push_front(key);
    entries_.emplace(key, entry{f.value, f.fresh_until, lru_.begin()});
  }

  const std::size_t max_entries_;
  mutable std::mutex mutex_;
  map entries_;
  std::list<std::string> lru_;  // front: most recently used
  std::unordered_map<std::string, std::shared_ptr<flight>> flights_;
};

}  // namespace cba::auth
