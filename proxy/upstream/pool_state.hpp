#pragma once
// What a pool and its outstanding leases share. Leases hold it by shared_ptr, so a lease released
// after its pool is gone closes its connection instead of touching freed memory.

#include "proxy/upstream/idle_store.hpp"
#include "proxy/upstream/upstream_stream.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace cba::upstream::detail {

class pool_state {
public:
  using clock = std::chrono::steady_clock;
  using connection = std::unique_ptr<upstream_stream>;
  using taken = idle_store<connection>::taken;
  using home_tag = idle_store<connection>::home_tag;

  // The execution context (io_context) an executor runs on: connections are preferably reused by
  // sessions of the context their socket is registered with.
  static home_tag home_of(const upstream_stream::executor_type& ex) noexcept;

  pool_state(std::size_t max_idle, clock::duration idle_limit);

  // Keeps an idle connection for reuse under `key`, unless the pool is closed.
  void give_back(std::string key, connection conn);
  // The newest idle connection under exactly `key` that is young enough, one of `home` if there is
  // one (see idle_store.hpp), with how long it was idle; conn null when there is none.
  taken take(const std::string& key, home_tag home);
  // Closes all idle connections; with `for_good`, later give_backs close theirs too.
  void close_idle(bool for_good);
  std::size_t idle_count() const noexcept { return idle_count_.load(std::memory_order_relaxed); }

  std::atomic<std::uint64_t> connects{0};
  std::atomic<std::uint64_t> reuses{0};
  std::atomic<std::uint64_t> connect_failures{0};

private:
  const clock::duration idle_limit_;
  std::mutex mutex_;  // guards idle_ and closed_; held for bookkeeping only, never for I/O
  idle_store<connection> idle_;
  bool closed_ = false;
  std::atomic<std::size_t> idle_count_{0};
};

}  // namespace cba::upstream::detail
