#include "proxy/upstream/pool.hpp"

#include "proxy/upstream/connect.hpp"
#include "proxy/upstream/pool_state.hpp"

#include <stdexcept>
#include <utility>

namespace cba::upstream {

namespace net = boost::asio;

pool::pool(config::upstream_config cfg, std::shared_ptr<net::ssl::context> tls_ctx,
           std::chrono::steady_clock::duration idle_limit)
    : cfg_(std::move(cfg)),
      tls_ctx_(std::move(tls_ctx)),
      state_(std::make_shared<detail::pool_state>(cfg_.max_idle_connections, idle_limit)) {
  if (cfg_.https && tls_ctx_ == nullptr) {
    throw std::invalid_argument("upstream '" + cfg_.name + "': https needs a TLS client context");
  }
}

pool::~pool() { state_->close_idle(true); }

net::awaitable<acquire_result> pool::acquire(std::string identity_key, net::any_io_executor session_ex,
                                             bool can_retry) {
  // Idle connections that fail a check are dropped (closed when `conn` is reassigned) and the next
  // candidate is tried; these checks do no I/O beyond a non-blocking peek.
  const auto home = detail::pool_state::home_of(session_ex);
  for (auto found = state_->take(identity_key, home); found.conn != nullptr; found = state_->take(identity_key, home)) {
    auto& conn = found.conn;
    const bool peek = !can_retry || found.idle_for >= unprobed_idle;
    if (!conn->idle_healthy(peek)) {
      continue;
    }
    boost::system::error_code ec;
    conn->rebind(session_ex, ec);
    if (ec) {
      continue;
    }
    state_->reuses.fetch_add(1, std::memory_order_relaxed);
    co_return lease(state_, std::move(identity_key), std::move(conn), true);
  }

  auto fresh = co_await connect(cfg_, tls_ctx_.get(), session_ex);
  if (!fresh) {
    state_->connect_failures.fetch_add(1, std::memory_order_relaxed);
    co_return fresh.error();
  }
  state_->connects.fetch_add(1, std::memory_order_relaxed);
  co_return lease(state_, std::move(identity_key), std::move(*fresh), false);
}

pool_stats pool::stats() const noexcept {
  return {state_->connects.load(std::memory_order_relaxed),
          state_->reuses.load(std::memory_order_relaxed),
          state_->connect_failures.load(std::memory_order_relaxed), state_->idle_count()};
}

void pool::close_idle() { state_->close_idle(false); }

}  // namespace cba::upstream
