#pragma once
// Exclusive use of one upstream connection by one session.
//
// Destroying a lease closes its connection (abruptly: co_await stream().shutdown() first for a TLS
// close_notify). release_reusable() instead returns it to its pool under the identity key it was
// acquired with. Call it only when the connection is between messages: the request was fully sent,
// the response fully read, it allows keep-alive, no operation is pending and no byte read from the
// connection is left unconsumed in the session's buffer.

#include "proxy/upstream/upstream_stream.hpp"

#include <memory>
#include <string>

namespace cba::upstream {

namespace detail {
class pool_state;
}

class lease {
public:
  // Holds nothing (Asio's co_spawn needs default-constructible results).
  lease() noexcept = default;
  lease(lease&&) noexcept = default;
  lease& operator=(lease&&) noexcept = default;  // closes the connection it held before
  lease(const lease&) = delete;
  lease& operator=(const lease&) = delete;
  ~lease() = default;

  // Precondition: not released.
  upstream_stream& stream() noexcept { return *conn_; }
  // Whether the connection has carried requests before (for a retry policy on a stale peer).
  bool reused() const noexcept { return reused_; }
  // Whether the lease still holds a connection (false after release_reusable or a move).
  bool holds_connection() const noexcept { return conn_ != nullptr; }

  void release_reusable();

private:
  friend class pool;
  lease(std::shared_ptr<detail::pool_state> state, std::string identity_key,
        std::unique_ptr<upstream_stream> conn, bool reused) noexcept;

  std::shared_ptr<detail::pool_state> state_;
  std::string identity_key_;
  std::unique_ptr<upstream_stream> conn_;
  bool reused_ = false;
};

}  // namespace cba::upstream
