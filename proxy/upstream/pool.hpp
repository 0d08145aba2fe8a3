#pragma once
// The keep-alive connections to one configured upstream, keyed by identity.
//
// Identity keys: "" for routes whose requests carry identity in headers (any session may reuse the
// connection); the account SID for connection-bound authentication (Kerberos), so a connection that
// carried user A's token is only ever reused for user A (architecture.md, invariant 3). Keys are
// matched exactly and never mixed.
//
// Executors: a new connection is created on the acquiring session's executor. The server runs each
// session on an io_context of its own thread, and acquire() prefers an idle connection registered with
// that io_context (same identity key, see idle_store.hpp), which it hands over as it is. Only when none
// is there does it take one of another io_context and move its socket onto the session's executor (the
// file descriptor is released into a new socket; a TLS session stays intact above it, see
// tcp_slot.hpp): a getsockname, two epoll_ctl and an ioctl. The session therefore always owns a stream
// whose executor is its own: completions, deadlines and the stream's get_executor() all point there.
//
// Thread safety: acquire, lease release, stats and close_idle may be called from any thread; the idle
// set is guarded by a mutex held for bookkeeping only. Socket I/O happens outside it.

#include "config/config.hpp"
#include "proxy/upstream/lease.hpp"
#include "proxy/upstream/upstream_error.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace cba::upstream {

namespace detail {
class pool_state;
}

struct pool_stats {
  std::uint64_t connects = 0;          // new connections established
  std::uint64_t reuses = 0;            // acquisitions served by an idle connection
  std::uint64_t connect_failures = 0;  // resolve, connect, TLS failures and timeouts
  std::size_t idle = 0;                // connections idle in the pool now
};

using acquire_result = boost::system::result<lease, upstream_error>;

class pool {
public:
  // A connection idle this long is not reused. Below the 120 s idle timeout of IIS/HTTP.sys, which
  // fronts Exchange, so we drop a connection before the upstream is likely to close it under us.
  static constexpr std::chrono::seconds default_idle_limit{60};
  // A connection idle less than this is reused without peeking at its socket when the caller can
  // retry a request that meets a connection the upstream closed (acquire's `can_retry`).
  static constexpr std::chrono::seconds unprobed_idle{2};

  // `tls_ctx` is the client context for an https upstream (trust store loaded; required then,
  // ignored for http). The config is copied. Throws std::invalid_argument for https without context.
  pool(config::upstream_config cfg, std::shared_ptr<boost::asio::ssl::context> tls_ctx,
       std::chrono::steady_clock::duration idle_limit = default_idle_limit);
  // Closes the idle connections; connections still leased are closed when their leases end.
  ~pool();
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  // An idle connection under exactly `identity_key` that the peer has not closed, else a new one
  // (bounded by connect_timeout). The stream runs on `session_ex`. Errors: errc::upstream_connect_failed,
  // errc::upstream_timeout, errc::upstream_tls_failed, each with a detail line for the log.
  // `can_retry`: the caller sends its request once more on a new connection when a reused one turns
  // out closed; a connection idle less than unprobed_idle is then handed over without the recv(MSG_PEEK)
  // that otherwise checks the peer has not closed it (a syscall per request saved on busy pools).
  boost::asio::awaitable<acquire_result> acquire(std::string identity_key, boost::asio::any_io_executor session_ex,
                                                 bool can_retry = false);

  pool_stats stats() const noexcept;
  // Closes every idle connection now (shutdown, reload). Leases released later are pooled again.
  void close_idle();

  const config::upstream_config& config() const noexcept { return cfg_; }

private:
  config::upstream_config cfg_;
  std::shared_ptr<boost::asio::ssl::context> tls_ctx_;
  std::shared_ptr<detail::pool_state> state_;
};

}  // namespace cba::upstream
