#pragma once
// Cache and single-flight in front of any directory: a hit never leaves the caller's thread; concurrent
// misses for one UPN make one backend lookup whose result all of them get. Found accounts are kept for
// `ttl`, not_found/ambiguous for `negative_ttl`; failures (unavailable, timeout, ...) are never cached.

#include "ldap/directory.hpp"
#include "ldap/lookup_cache.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace cba::ldap {

struct cache_options {
  std::chrono::milliseconds ttl{std::chrono::minutes(5)};
  std::chrono::milliseconds negative_ttl{std::chrono::seconds(30)};
  std::size_t max_entries = 100000;
};

class cached_directory final : public directory {
 public:
  // `executor` must be single-threaded or a strand: the single-flight table lives there, and the
  // backend is only ever awaited there.
  cached_directory(boost::asio::any_io_executor executor, directory& backend, cache_options options);

  boost::asio::awaitable<lookup_result> lookup(std::string_view upn) override;
  bool ready() const noexcept override { return backend_.ready(); }
  directory_stats stats() const noexcept override;

 private:
  struct flight {
    std::optional<lookup_result> result;
    std::vector<boost::asio::steady_timer*> waiters;
  };

  boost::asio::awaitable<lookup_result> fetch(std::string key);
  void remember(const std::string& key, const lookup_result& result);

  boost::asio::any_io_executor executor_;
  directory& backend_;
  const cache_options options_;
  lookup_cache cache_;
  std::unordered_map<std::string, std::shared_ptr<flight>> flights_;  // on executor_ only
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
  std::atomic<std::uint64_t> coalesced_{0};
  std::atomic<std::uint64_t> errors_{0};
};

}  // namespace cba::ldap
