#pragma once
// Runs a blocking function on a thread pool and completes on the caller's executor, or with a
// timeout value when it takes longer than a deadline. Whichever comes first completes the handler,
// exactly once and never inline. A late result is dropped on the pool thread (it must own everything
// it uses); work that has not started when the deadline passed is skipped.
//
// Lifetime: the pool side holds only `core` (a mutex and the not-yet-taken completion), never the
// timer or anything else of the caller's io_context, so it is safe for the pool work to outlive the
// caller's wait.

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>

namespace cba::auth {

template <class T>
void offload(boost::asio::thread_pool& pool, boost::asio::any_io_executor ex, std::chrono::steady_clock::duration deadline,
             std::function<T()> work, std::function<T()> on_timeout,
             boost::asio::any_completion_handler<void(T)> handler) {
  // Caller side: touched only on `ex` (and by whoever took it from `core`).
  struct waiter {
    waiter(boost::asio::any_io_executor e, boost::asio::any_completion_handler<void(T)> h)
        : timer(e), handler(std::move(h)) {}
    boost::asio::steady_timer timer;
    boost::asio::any_completion_handler<void(T)> handler;
    void complete(T value) {
      timer.cancel();
      auto hex = boost::asio::get_associated_executor(handler, timer.get_executor());
      boost::asio::dispatch(hex, boost::asio::append(std::move(handler), std::move(value)));
    }
  };
  struct core {
    std::mutex mutex;
    std::shared_ptr<waiter> pending;  // null once the deadline or the work took it
    std::shared_ptr<waiter> take() {
      const std::lock_guard lock(mutex);
      return std::exchange(pending, nullptr);
    }
    bool abandoned() {
      const std::lock_guard lock(mutex);
      return pending == nullptr;
    }
  };

  auto c = std::make_shared<core>();
  c->pending = std::make_shared<waiter>(ex, std::move(handler));
  c->pending->timer.expires_after(deadline);
  c->pending->timer.async_wait([c, on_timeout = std::move(on_timeout)](boost::system::error_code ec) {
    if (ec) return;  // cancelled: the work completed
    if (auto w = c->take()) w->complete(on_timeout());
  });
  boost::asio::post(pool, [c, ex, work = std::move(work)]() mutable {
    if (c->abandoned()) return;
    T value = work();
    if (auto w = c->take()) {
      boost::asio::post(ex, [w = std::move(w), value = std::move(value)]() mutable { w->complete(std::move(value)); });
    }
  });
}

}  // namespace cba::auth
