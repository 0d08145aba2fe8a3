#pragma once
// The idle connections of one pool, keyed strictly by identity.
//
// An identity key is "" for routes whose requests carry their identity in headers, and the account
// SID for connection-bound authentication (Kerberos): a connection put under one key is only ever
// taken under exactly that key. Bounded: putting beyond capacity evicts the oldest idle connection
// of any key. Not thread-safe (the pool guards it). Connections leave through out-parameters so the
// caller can close them after releasing its lock.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace cba::upstream {

template <class Connection>
class idle_store {
public:
  using clock = std::chrono::steady_clock;

  explicit idle_store(std::size_t capacity) : capacity_(capacity) {}

  std::size_t size() const noexcept { return by_age_.size(); }

  // Keeps `conn` under `key`; what no longer fits (the oldest, or `conn` itself at capacity 0)
  // goes to `to_close`.
  void put(std::string key, Connection conn, clock::time_point now, std::vector<Connection>& to_close) {
    if (capacity_ == 0) {
      to_close.push_back(std::move(conn));
      return;
    }
    while (by_age_.size() >= capacity_) {
      erase(by_age_.begin(), to_close);
    }
    const auto seq = next_seq_++;
    by_key_.emplace(key, seq);
    by_age_.emplace(seq, entry{std::move(key), std::move(conn), now});
  }

  // The most recently idled connection under exactly `key` that has been idle less than
  // `max_idle`, or an empty Connection. Connections idle for `max_idle` or longer (of any key) are
  // moved to `to_close` on the way.
  Connection take(const std::string& key, clock::time_point now, clock::duration max_idle,
                  std::vector<Connection>& to_close) {
    while (!by_age_.empty() && now - by_age_.begin()->second.since >= max_idle) {
      erase(by_age_.begin(), to_close);
    }
    auto it = by_key_.lower_bound({key, std::numeric_limits<std::uint64_t>::max()});
    if (it == by_key_.begin() || std::prev(it)->first != key) {
      return Connection{};
    }
    const auto seq = std::prev(it)->second;
    by_key_.erase(std::prev(it));
    auto node = by_age_.extract(seq);
    return std::move(node.mapped().conn);
  }

  void take_all(std::vector<Connection>& out) {
    for (auto& [seq, e] : by_age_) {
      out.push_back(std::move(e.conn));
    }
    by_age_.clear();
    by_key_.clear();
  }

private:
  struct entry {
    std::string key;
    Connection conn;
    clock::time_point since;
  };
  using age_index = std::map<std::uint64_t, entry>;  // oldest first

  void erase(typename age_index::iterator it, std::vector<Connection>& to_close) {
    by_key_.erase({it->second.key, it->first});
    to_close.push_back(std::move(it->second.conn));
    by_age_.erase(it);
  }

  std::size_t capacity_;
  std::uint64_t next_seq_ = 0;
  age_index by_age_;
  std::set<std::pair<std::string, std::uint64_t>> by_key_;  // newest last within a key
};

}  // namespace cba::upstream
