#include "ldap/cached_directory.hpp"

#include "ldap/file_directory.hpp"  // normalize_upn

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace cba::ldap {

namespace asio = boost::asio;

namespace {

// Results that say something about the account (cacheable) rather than about the directory's health.
bool definite(const lookup_result& r) {
  return r.has_value() || r.error() == errc::not_found || r.error() == errc::ambiguous;
}

}  // namespace

cached_directory::cached_directory(asio::any_io_executor executor, directory& backend, cache_options options)
    : executor_(std::move(executor)), backend_(backend), options_(options), cache_(options.max_entries) {}

asio::awaitable<lookup_result> cached_directory::lookup(std::string_view upn) {
  std::string key = normalize_upn(upn);
  if (auto hit = cache_.find(key, lookup_cache::clock::now())) {
    hits_.fetch_add(1, std::memory_order_relaxed);
    co_return std::move(*hit);
  }
  auto result = co_await asio::co_spawn(executor_, fetch(std::move(key)), asio::use_awaitable);
  co_return result;
}

asio::awaitable<lookup_result> cached_directory::fetch(std::string key) {
  // Filled while this lookup travelled to the executor.
  if (auto hit = cache_.find(key, lookup_cache::clock::now())) {
    hits_.fetch_add(1, std::memory_order_relaxed);
    co_return std::move(*hit);
  }
  misses_.fetch_add(1, std::memory_order_relaxed);

  if (auto it = flights_.find(key); it != flights_.end()) {
    coalesced_.fetch_add(1, std::memory_order_relaxed);
    const auto joined = it->second;
    // The leader's lookup has a deadline, so this wait is bounded; cancel() is the wake-up.
    asio::steady_timer wake(executor_, asio::steady_timer::time_point::max());
    joined->waiters.push_back(&wake);
    while (!joined->result) {
      auto [ec] = co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
      (void)ec;
    }
    co_return *joined->result;
  }

  const auto own = std::make_shared<flight>();
  flights_.emplace(key, own);
  const auto finish = [&](lookup_result r) {
    own->result = std::move(r);
    flights_.erase(key);
    for (auto* waiter : own->waiters) waiter->cancel();
  };
  try {
    auto result = co_await backend_.lookup(key);
    if (!definite(result)) errors_.fetch_add(1, std::memory_order_relaxed);
    remember(key, result);
    finish(result);
    co_return result;
  } catch (...) {
    finish(make_error_code(errc::unavailable));
    throw;
  }
}

void cached_directory::remember(const std::string& key, const lookup_result& result) {
  if (!definite(result)) return;
  const auto ttl = result.has_value() ? options_.ttl : options_.negative_ttl;
  cache_.store(key, result, ttl, lookup_cache::clock::now());
}

directory_stats cached_directory::stats() const noexcept {
  directory_stats s = backend_.stats();
  s.hits = hits_.load(std::memory_order_relaxed);
  s.misses = misses_.load(std::memory_order_relaxed);
  s.coalesced = coalesced_.load(std::memory_order_relaxed);
  s.errors = errors_.load(std::memory_order_relaxed);
  s.cache_entries = cache_.size();
  return s;
}

}  // namespace cba::ldap
