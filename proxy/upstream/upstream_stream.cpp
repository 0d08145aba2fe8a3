#include "proxy/upstream/upstream_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/socket.h>

#include <cerrno>

namespace cba::upstream {

namespace net = boost::asio;

upstream_stream::upstream_stream(boost::beast::tcp_stream tcp)
    : stream_(std::in_place_type<tcp_slot>, std::move(tcp)) {}

upstream_stream::upstream_stream(boost::beast::tcp_stream tcp, net::ssl::context& ctx)
    : stream_(std::in_place_type<tls_stream_type>, tcp_slot(std::move(tcp)), ctx) {}

tcp_slot& upstream_stream::slot() noexcept {
  if (auto* tls = std::get_if<tls_stream_type>(&stream_)) {
    return tls->next_layer();
  }
  return std::get<tcp_slot>(stream_);
}

SSL* upstream_stream::native_ssl() noexcept {
  auto* tls = std::get_if<tls_stream_type>(&stream_);
  return tls != nullptr ? tls->native_handle() : nullptr;
}

net::awaitable<void> upstream_stream::shutdown() {
  if (auto* tls = std::get_if<tls_stream_type>(&stream_); tls != nullptr && tcp().socket().is_open()) {
    tcp().expires_after(shutdown_timeout);
    // Errors are expected here (peers often close without answering close_notify); we close anyway.
    [[maybe_unused]] auto [ec] = co_await tls->async_shutdown(net::as_tuple(net::use_awaitable));
    tcp().expires_never();
  }
  close();
}

void upstream_stream::close() noexcept {
  auto& socket = tcp().socket();
  boost::system::error_code ignored;
  if (socket.is_open()) {
    socket.shutdown(net::socket_base::shutdown_both, ignored);
    socket.close(ignored);
  }
}

void upstream_stream::rebind(const executor_type& ex, boost::system::error_code& ec) {
  ec.clear();
  if (slot().get_executor() == ex) {
    return;
  }
  slot().rebind(ex, ec);
}

std::size_t upstream_stream::write_now(std::string_view bytes, boost::system::error_code& ec) noexcept {
  ec.clear();
  auto& socket = tcp().socket();
  if (is_tls() || !socket.is_open()) return 0;
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const auto n = ::send(socket.native_handle(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
    } else if (errno != EINTR) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) ec.assign(errno, boost::system::system_category());
      break;
    }
  }
  return sent;
}

bool upstream_stream::idle_healthy(bool peek) noexcept {
  auto& socket = tcp().socket();
  if (!socket.is_open()) {
    return false;
  }
  if (auto* ssl = native_ssl(); ssl != nullptr && ::SSL_pending(ssl) > 0) {
    return false;  // decrypted bytes nobody asked for: the previous exchange was not clean
  }
  if (!peek) {
    return true;
  }
  char byte = 0;
  const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0) {
    return errno == EAGAIN || errno == EWOULDBLOCK;  // nothing to read: still open and quiet
  }
  // 0: the peer closed (FIN). > 0: unsolicited bytes, e.g. a 408 or a TLS alert before closing.
  return false;
}

}  // namespace cba::upstream
