#pragma once
// One connection to an upstream, plain TCP or TLS, as a single AsyncReadStream + AsyncWriteStream
// that Beast's http::async_read/async_write and serializers accept.
//
// Deadlines: set them on tcp() (expires_after / expires_never) before each operation; they apply to
// the TLS layer too because TLS reads and writes go through that tcp_stream.
// Executor: that of the session that holds the lease (see pool.hpp: a reused connection is moved onto
// the acquiring session's executor when it is not already there), so get_executor() is always the
// caller's.

#include "proxy/upstream/tcp_slot.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace cba::upstream {

class upstream_stream {
public:
  using executor_type = boost::asio::any_io_executor;
  using tls_stream_type = boost::beast::ssl_stream<tcp_slot>;

  // How long shutdown() waits for the peer's close_notify before simply closing.
  static constexpr std::chrono::milliseconds shutdown_timeout{1000};

  // Plain TCP over an already connected stream.
  explicit upstream_stream(boost::beast::tcp_stream tcp);
  // TLS over an already connected stream; the handshake is still to be done (see tls()).
  upstream_stream(boost::beast::tcp_stream tcp, boost::asio::ssl::context& ctx);

  upstream_stream(const upstream_stream&) = delete;
  upstream_stream& operator=(const upstream_stream&) = delete;
  ~upstream_stream() = default;

  executor_type get_executor() noexcept { return slot().get_executor(); }

  boost::beast::tcp_stream& tcp() noexcept { return slot().stream(); }
  bool is_tls() const noexcept { return std::holds_alternative<tls_stream_type>(stream_); }
  // The TLS session (null for plain TCP); Kerberos channel bindings read the peer certificate here.
  SSL* native_ssl() noexcept;
  // The TLS layer itself (null for plain TCP), for the handshake.
  tls_stream_type* tls() noexcept { return std::get_if<tls_stream_type>(&stream_); }

  template <class MutableBufferSequence, class ReadToken>
  auto async_read_some(const MutableBufferSequence& buffers, ReadToken&& token) {
    return boost::asio::async_initiate<ReadToken, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const MutableBufferSequence& b) {
          std::visit([&](auto& s) { s.async_read_some(b, std::move(handler)); }, stream_);
        },
        token, buffers);
  }

  template <class ConstBufferSequence, class WriteToken>
  auto async_write_some(const ConstBufferSequence& buffers, WriteToken&& token) {
    return boost::asio::async_initiate<WriteToken, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const ConstBufferSequence& b) {
          std::visit([&](auto& s) { s.async_write_some(b, std::move(handler)); }, stream_);
        },
        token, buffers);
  }

  // Plain TCP only: sends what the socket takes right now, without waiting and without a deadline
  // (a request head nearly always fits in the socket buffer, so the relay needs no timer and no
  // suspension for it). Returns the bytes sent; 0 for TLS. `ec` is set when the connection failed.
  std::size_t write_now(std::string_view bytes, boost::system::error_code& ec) noexcept;

  // Best effort, never fails: TLS close_notify (bounded by shutdown_timeout), then close the socket.
  boost::asio::awaitable<void> shutdown();
  // Closes the socket now, without close_notify. Pending operations complete with operation_aborted.
  void close() noexcept;

  // Moves the connection onto `ex` (no operation may be pending). No-op when already there.
  void rebind(const executor_type& ex, boost::system::error_code& ec);

  // Buffers the relay reuses for every exchange on this connection, so a request allocates none:
  // the read buffer for responses (empty whenever the connection is idle: see lease.hpp), and a
  // scratch area for body pieces, grown on demand to at most the largest size asked for.
  boost::beast::flat_buffer& read_buffer() noexcept { return read_buffer_; }
  std::span<char> scratch(std::size_t size) {
    if (scratch_.size() < size) scratch_.resize(size);
    return {scratch_.data(), size};
  }
  // Where a whole message head is rendered before it is written (see proxy/http/head_writer.hpp).
  std::string& head_buffer() noexcept { return head_buffer_; }

  // Whether an idle connection can carry another request: the peer has not closed it and has not
  // sent anything unsolicited. Non-blocking; reads nothing. Without `peek` only what is known without
  // a syscall is checked (socket open, no decrypted bytes left over).
  bool idle_healthy(bool peek = true) noexcept;

private:
  tcp_slot& slot() noexcept;

  std::variant<tcp_slot, tls_stream_type> stream_;
  boost::beast::flat_buffer read_buffer_;
  std::vector<char> scratch_;
  std::string head_buffer_;
};

}  // namespace cba::upstream
