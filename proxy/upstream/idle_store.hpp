#pragma once
// The idle connections of one pool, keyed strictly by identity.
//
// An identity key is "" for routes whose requests carry their identity in headers, and the account
// SID for connection-bound authentication (Kerberos): a connection put under one key is only ever
// taken under exactly that key. Bounded: putting beyond capacity evicts the oldest idle connection
// of any key. Not thread-safe (the pool guards it). Connections leave through out-parameters so the
// caller can close them after releasing its lock.
//
// Homes: each connection may carry an opaque home tag (the pool uses the io_context its socket is
// registered with). take() prefers the newest connection of the caller's home under the key, since
// using it needs no move to another event loop, and else takes the newest of any home under the key.
// The home never widens what a key may take: it only orders the candidates of exactly that key.

#include <chrono>
#include <functional>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace cba::upstream {

template <class Connection>
class idle_store {
public:
  using clock = std::chrono::steady_clock;
  using home_tag = std::uintptr_t;  // 0: no home

  // What take_preferring() found: the connection (empty: none) and how long it had been idle.
  struct taken {
    Connection conn{};
    clock::duration idle_for{};
  };

  explicit idle_store(std::size_t capacity) : capacity_(capacity) {}

  std::size_t size() const noexcept { return by_age_.size(); }

  // Keeps `conn` under `key`; what no longer fits (the oldest, or `conn` itself at capacity 0)
  // goes to `to_close`.
  void put(std::string key, Connection conn, clock::time_point now, std::vector<Connection>& to_close,
           home_tag home = 0) {
    if (capacity_ == 0) {
      to_close.push_back(std::move(conn));
      return;
    }
    while (by_age_.size() >= capacity_) {
      erase(by_age_.begin(), to_close);
    }
    const auto seq = next_seq_++;
    by_key_.emplace(key, home, seq);
    by_age_.emplace(seq, entry{std::move(key), home, std::move(conn), now});
  }

  // The most recently idled connection under exactly `key` that has been idle less than
  // `max_idle`, or an empty Connection. Connections idle for `max_idle` or longer (of any key) are
  // moved to `to_close` on the way.
  Connection take(const std::string& key, clock::time_point now, clock::duration max_idle,
                  std::vector<Connection>& to_close) {
    return take_preferring(key, 0, now, max_idle, to_close).conn;
  }

  // As take(), preferring connections put with `home` (see the top of the file).
  taken take_preferring(const std::string& key, home_tag home, clock::time_point now, clock::duration max_idle,
                        std::vector<Connection>& to_close) {
    while (!by_age_.empty() && now - by_age_.begin()->second.since >= max_idle) {
      erase(by_age_.begin(), to_close);
    }
    auto found = newest(key, home);
    if (found == by_key_.end()) {
      // The newest under `key` of any home: the last entry of each home's run, compared by age.
      for (auto it = by_key_.lower_bound(key_probe{key, 0, 0}); it != by_key_.end() && std::get<0>(*it) == key;) {
        auto end_of_home = by_key_.lower_bound(key_probe{key, std::get<1>(*it), max_seq});
        if (found == by_key_.end() || std::get<2>(*std::prev(end_of_home)) > std::get<2>(*found)) {
          found = std::prev(end_of_home);
        }
        it = end_of_home;
      }
    }
    if (found == by_key_.end()) {
      return {};
    }
    const auto seq = std::get<2>(*found);
    by_key_.erase(found);
    auto node = by_age_.extract(seq);
    return {std::move(node.mapped().conn), now - node.mapped().since};
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
    home_tag home;
    Connection conn;
    clock::time_point since;
  };
  using age_index = std::map<std::uint64_t, entry>;  // oldest first

  // (key, home, seq): one key's entries are contiguous, grouped by home, newest last in each group.
  // Transparent, so looking up a key makes no copy of it.
  using key_index = std::set<std::tuple<std::string, home_tag, std::uint64_t>, std::less<>>;
  using key_probe = std::tuple<std::string_view, home_tag, std::uint64_t>;
  static constexpr std::uint64_t max_seq = std::numeric_limits<std::uint64_t>::max();

  typename key_index::iterator newest(const std::string& key, home_tag home) {
    auto it = by_key_.lower_bound(key_probe{key, home, max_seq});
    if (it == by_key_.begin()) {
      return by_key_.end();
    }
    --it;
    return std::get<0>(*it) == key && std::get<1>(*it) == home ? it : by_key_.end();
  }

  void erase(typename age_index::iterator it, std::vector<Connection>& to_close) {
    by_key_.erase(by_key_.find(key_probe{it->second.key, it->second.home, it->first}));
    to_close.push_back(std::move(it->second.conn));
    by_age_.erase(it);
  }

  std::size_t capacity_;
  std::uint64_t next_seq_ = 0;
  age_index by_age_;
  key_index by_key_;
};

}  // namespace cba::upstream
