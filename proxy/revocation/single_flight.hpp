#pragma once
// Concurrent requests for one key make one piece of work: the first caller runs it, later callers wait
// until it finished and then read what it left in the caller's cache. Single-threaded: every call runs
// on the same executor (the revocation worker), so the table needs no lock.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace cba::revocation {

class single_flight {
 public:
  // `work` must not throw. Returns true when this call ran the work, false when it joined another's.
  template <class Work>
  boost::asio::awaitable<bool> run(const std::string& key, Work work) {
    namespace asio = boost::asio;
    if (auto it = flights_.find(key); it != flights_.end()) {
      ++coalesced_;
      auto in_flight = it->second;  // keeps the waiter list alive if the work ends meanwhile
      asio::steady_timer wake(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
      in_flight->waiters.push_back(&wake);
      co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
      co_return false;
    }
    auto mine = std::make_shared<flight>();
    flights_.emplace(key, mine);
    co_await work();
    flights_.erase(key);
    for (auto* waiter : mine->waiters) waiter->cancel();
    co_return true;
  }

  std::uint64_t coalesced() const noexcept { return coalesced_; }

 private:
  struct flight {
    std::vector<boost::asio::steady_timer*> waiters;
  };
  std::unordered_map<std::string, std::shared_ptr<flight>> flights_;
  std::uint64_t coalesced_ = 0;
};

}  // namespace cba::revocation
