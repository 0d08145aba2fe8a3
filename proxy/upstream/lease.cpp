#include "proxy/upstream/lease.hpp"

#include "proxy/upstream/pool_state.hpp"

#include <utility>

namespace cba::upstream {

lease::lease(std::shared_ptr<detail::pool_state> state, std::string identity_key,
             std::unique_ptr<upstream_stream> conn, bool reused) noexcept
    : state_(std::move(state)), identity_key_(std::move(identity_key)), conn_(std::move(conn)),
      reused_(reused) {}

void lease::release_reusable() {
  if (conn_ == nullptr || state_ == nullptr) {
    return;
  }
  conn_->tcp().expires_never();  // an idle connection must not be closed by a session's old deadline
  state_->give_back(std::move(identity_key_), std::move(conn_));
  conn_.reset();
}

}  // namespace cba::upstream
