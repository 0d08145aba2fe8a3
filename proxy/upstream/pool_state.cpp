#include "proxy/upstream/pool_state.hpp"

#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution_context.hpp>

#include <utility>
#include <vector>

namespace cba::upstream::detail {

pool_state::pool_state(std::size_t max_idle, clock::duration idle_limit)
    : idle_limit_(idle_limit), idle_(max_idle) {}

// In each function `to_close` is declared before the lock so the connections it collects are
// destroyed (their sockets closed) after the mutex is released.

pool_state::home_tag pool_state::home_of(const upstream_stream::executor_type& ex) noexcept {
  return reinterpret_cast<home_tag>(&boost::asio::query(ex, boost::asio::execution::context));
}

void pool_state::give_back(std::string key, connection conn) {
  std::vector<connection> to_close;
  const auto now = clock::now();
  const auto home = home_of(conn->get_executor());
  std::lock_guard lock(mutex_);
  if (closed_) {
    to_close.push_back(std::move(conn));
    return;
  }
  idle_.put(std::move(key), std::move(conn), now, to_close, home);
  idle_count_.store(idle_.size(), std::memory_order_relaxed);
}

pool_state::taken pool_state::take(const std::string& key, home_tag home) {
  std::vector<connection> to_close;
  const auto now = clock::now();
  std::lock_guard lock(mutex_);
  auto found = idle_.take_preferring(key, home, now, idle_limit_, to_close);
  idle_count_.store(idle_.size(), std::memory_order_relaxed);
  return found;
}

void pool_state::close_idle(bool for_good) {
  std::vector<connection> to_close;
  std::lock_guard lock(mutex_);
  closed_ = closed_ || for_good;
  idle_.take_all(to_close);
  idle_count_.store(0, std::memory_order_relaxed);
}

}  // namespace cba::upstream::detail
