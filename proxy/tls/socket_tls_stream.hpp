#pragma once
// TLS straight on the socket: OpenSSL reads and writes the non-blocking file descriptor itself (a
// send/recv BIO with MSG_NOSIGNAL). When OpenSSL wants to write, the stream waits with
// socket.async_wait; when it wants to read, the stream receives into a small inbox of its own that the
// BIO hands to OpenSSL before it reads the socket again. A readiness wait (async_wait) costs an
// epoll_ctl call every time (Asio re-arms the edge-triggered registration so that it cannot miss data
// that is already there), while a receive uses the registration as it stands: one syscall per request
// fewer for a request that fits the inbox, and never more for one that does not.
// asio::ssl::stream instead runs OpenSSL over a BIO pair and keeps two 17 KiB engine buffers plus the
// pair's 2 x 17 KiB per connection whether it is busy or idle; here an idle connection holds its SSL
// object, whose record buffers SSL_MODE_RELEASE_BUFFERS frees, and the 512-byte inbox.
//
// A drop-in for beast::ssl_stream<beast::tcp_stream> on the proxy's client side: async_read_some /
// async_write_some (AsyncReadStream / AsyncWriteStream), async_handshake, async_shutdown,
// native_handle, get_executor, and beast::get_lowest_layer reaching a deadline_tcp_stream (socket()
// and beast::tcp_stream's expires_after / expires_at / expires_never) whose deadline bounds this
// stream's operations the way Beast's does: when the deadline passes the socket is closed and the
// pending operation ends with beast::error::timeout.
// Errors are those asio::ssl::stream reports: asio::error::eof after the peer's close_notify,
// ssl::error::stream_truncated when the TCP stream ends without one, the OpenSSL error (ssl category)
// otherwise. At most one read-side (read, wait_readable) and one write-side (write, handshake,
// shutdown) operation may be outstanding at a time, all on the stream's executor; the handshake and
// the shutdown read too, so they run while no read-side operation is outstanding (one that would have
// to wait for bytes meanwhile ends with asio::error::in_progress).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <openssl/ssl.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace cba::tls {

// The TCP socket under a socket_tls_stream, with beast::tcp_stream's deadline interface
// (expires_after / expires_at / expires_never) bounding that stream's waits. Not a beast::tcp_stream:
// that one keeps a second shared block (socket, three timers) per connection that nothing here uses.
class deadline_tcp_stream {
 public:
  using clock = std::chrono::steady_clock;
  using executor_type = boost::asio::any_io_executor;
  enum class side : std::uint8_t { read = 0, write = 1 };

  explicit deadline_tcp_stream(boost::asio::ip::tcp::socket&& socket);
  explicit deadline_tcp_stream(boost::beast::tcp_stream&& tcp);  // takes its socket
  deadline_tcp_stream(const deadline_tcp_stream&) = delete;
  deadline_tcp_stream& operator=(const deadline_tcp_stream&) = delete;
  ~deadline_tcp_stream();

  boost::asio::ip::tcp::socket& socket() noexcept;
  executor_type get_executor() noexcept;

  void expires_after(clock::duration d);
  void expires_at(clock::time_point t);
  void expires_never();

  // For socket_tls_stream: brackets one readiness wait. begin_wait arms the deadline (if any) for that
  // side; end_wait disarms it and says whether it fired (then the socket was closed by it).
  void begin_wait(side s);
  bool end_wait(side s);

 private:
  struct state;
  std::shared_ptr<state> state_;  // the socket and the timers; the timer handlers hold weak references
};

class socket_tls_stream {
 public:
  using next_layer_type = deadline_tcp_stream;
  using executor_type = deadline_tcp_stream::executor_type;

  // Throws boost::system::system_error when OpenSSL cannot make the SSL object (as asio's does).
  socket_tls_stream(boost::asio::ip::tcp::socket&& socket, boost::asio::ssl::context& context);
  socket_tls_stream(boost::beast::tcp_stream&& tcp, boost::asio::ssl::context& context);
  socket_tls_stream(const socket_tls_stream&) = delete;
  socket_tls_stream& operator=(const socket_tls_stream&) = delete;
  ~socket_tls_stream();

  executor_type get_executor() noexcept { return tcp_.get_executor(); }
  SSL* native_handle() noexcept { return ssl_; }
  next_layer_type& next_layer() noexcept { return tcp_; }
  const next_layer_type& next_layer() const noexcept { return tcp_; }

  template <class Token>
  auto async_handshake(boost::asio::ssl::stream_base::handshake_type type, Token&& token) {
    if (type == boost::asio::ssl::stream_base::server) {
      SSL_set_accept_state(ssl_);
    } else {
      SSL_set_connect_state(ssl_);
    }
    return boost::asio::async_compose<Token, void(boost::system::error_code)>(
        io_op<false>{this, op_kind::handshake, {}, {}}, token, tcp_.socket());
  }

  // Sends close_notify and waits for the peer's (like asio::ssl::stream::async_shutdown).
  template <class Token>
  auto async_shutdown(Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code)>(
        io_op<false>{this, op_kind::shutdown, {}, {}}, token, tcp_.socket());
  }

  // Completes when there is something to read (bytes OpenSSL or the inbox already holds, or bytes
  // received into the inbox) without taking a buffer from the caller: an idle connection waits holding
  // only the stream's inbox. The next read may still have to wait (a partial record, or a record that
  // carries no application data). A read-side operation.
  template <class Token>
  auto async_wait_readable(Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code)>(
        io_op<false>{this, op_kind::wait_readable, {}, {}}, token, tcp_.socket());
  }

  // The common case without a trip through the scheduler (an asynchronous operation that completes at
  // once still posts its completion): one OpenSSL call now, never waiting. 0 bytes and no error means
  // it would have to wait: use the asynchronous operation then, with the same buffers (a write must be
  // retried with the same bytes, and write_now presents exactly what async_write_some would). Only
  // while no operation of the same side is outstanding.
  std::size_t read_now(boost::asio::mutable_buffer buffer, boost::system::error_code& ec) {
    return completed_now(step(op_kind::read, buffer.data(), buffer.size()), ec);
  }
  template <class ConstBufferSequence>
  std::size_t write_now(const ConstBufferSequence& buffers, boost::system::error_code& ec) {
    return with_write_of(buffers, [&](auto write) { return completed_now(write(*this), ec); });
  }

  // Reads into the first non-empty buffer of the sequence.
  template <class MutableBufferSequence, class Token>
  auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
    boost::asio::mutable_buffer first;
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers);
         ++it) {
      first = boost::asio::mutable_buffer(*it);
      if (first.size() != 0) break;
    }
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        io_op<true>{this, op_kind::read, first, {}}, token, tcp_.socket());
  }

  // Writes the first buffer, or (when it is short) as much of the sequence as fits one TLS record,
  // gathered so a response head and the start of its body leave in one record and one send.
  template <class ConstBufferSequence, class Token>
  auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
    return with_write_of(buffers, [&](auto write) {
      return async_compose_write(std::move(write), std::forward<Token>(token));
    });
  }

 private:
  static constexpr std::size_t record_payload = 16 * 1024;
  // Holds a keep-alive request's record (a GET with a few headers, or an ActiveSync Ping's head) whole.
  // Part of every connection, idle ones too: bigger records take a second recv instead.
  static constexpr std::size_t inbox_size = 512;

  enum class op_kind : std::uint8_t { handshake, shutdown, read, write, wait_readable };
  enum class want : std::uint8_t { nothing, read, write };

  struct step_result {
    want next = want::nothing;
    boost::system::error_code ec;
    std::size_t bytes = 0;
  };

  // One attempt of the OpenSSL call behind `kind`; never blocks.
  step_result step(op_kind kind, void* data, std::size_t size);
  static std::size_t completed_now(const step_result& r, boost::system::error_code& ec) {
    ec = r.next == want::nothing ? r.ec : boost::system::error_code();
    return r.next == want::nothing ? r.bytes : 0;
  }
  // Calls `use` with the write that `buffers` make: the first non-empty buffer, or (when it is short)
  // as much of the sequence as fits one record, gathered. write_now and async_write_some both choose
  // here, so a write retried after WANT_WRITE presents the same bytes whichever of them began it.
  template <class ConstBufferSequence, class Use>
  static decltype(auto) with_write_of(const ConstBufferSequence& buffers, Use&& use) {
    boost::asio::const_buffer first;
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers);
         ++it) {
      first = boost::asio::const_buffer(*it);
      if (first.size() != 0) break;
    }
    if (first.size() < record_payload && boost::asio::buffer_size(buffers) > first.size()) {
      return use(gathered_write<ConstBufferSequence>{buffers});
    }
    return use(direct_write{first});
  }
  static deadline_tcp_stream::side side_of(op_kind kind) noexcept {
    return kind == op_kind::read || kind == op_kind::wait_readable ? deadline_tcp_stream::side::read
                                                                    : deadline_tcp_stream::side::write;
  }

  struct direct_write {
    boost::asio::const_buffer buffer;
    step_result operator()(socket_tls_stream& s) const {
      return s.step(op_kind::write, const_cast<void*>(buffer.data()), buffer.size());
    }
  };

  // Each attempt gathers the same bytes again (the caller keeps them unchanged until completion), so a
  // retry after WANT_WRITE presents what OpenSSL expects (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER).
  template <class Buffers>
  struct gathered_write {
    Buffers buffers;
    step_result operator()(socket_tls_stream& s) const {
      std::array<unsigned char, record_payload> gathered;
      const auto n = boost::asio::buffer_copy(boost::asio::buffer(gathered), buffers);
      return s.step(op_kind::write, gathered.data(), n);
    }
  };

  struct no_write {
    step_result operator()(socket_tls_stream&) const { return {}; }
  };

  template <class Write, class Token>
  auto async_compose_write(Write write, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        io_op<true, Write>{this, op_kind::write, {}, std::move(write)}, token, tcp_.socket());
  }

  // The composed operation: try the OpenSSL call; on WANT_READ/WANT_WRITE wait for the socket (under
  // the lowest layer's deadline) and try again. A result available at once is posted, never invoked
  // from inside the initiating function.
  template <bool Sized, class Write = no_write>
  struct io_op {
    socket_tls_stream* s;
    op_kind kind;
    boost::asio::mutable_buffer read_buffer;
    Write write;
    enum class phase : std::uint8_t { start, waiting, posted } at = phase::start;
    step_result posted_result{};

    // The inbox's receive completed: its bytes come before anything still in the socket. The end of
    // the stream is not an error here: the OpenSSL call that follows finds it and says whether a
    // close_notify came first (eof) or not (stream_truncated).
    template <class Self>
    void operator()(Self& self, boost::system::error_code ec, std::size_t received) {
      s->inbox_receiving_ = false;
      s->inbox_begin_ = 0;
      s->inbox_end_ = static_cast<std::uint16_t>(received);
      if (ec == boost::asio::error::eof) ec = {};
      (*this)(self, ec);
    }

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}) {
      if (at == phase::posted) return finish(self, posted_result.ec, posted_result.bytes);
      if (at == phase::waiting) {
        const bool timed_out = s->tcp_.end_wait(side_of(kind));
        if (timed_out) return finish(self, boost::beast::error::timeout, 0);
        if (ec) return finish(self, ec, 0);
        if (kind == op_kind::wait_readable) return finish(self, {}, 0);
      }
      step_result r;
      if (kind == op_kind::write) {
        r = write(*s);
      } else {
        r = s->step(kind, read_buffer.data(), read_buffer.size());
      }
      if (r.next == want::read && s->inbox_receiving_) {
        // A handshake or shutdown that needs to read while a read-side operation already receives: a
        // second receive into the inbox would lose bytes. Refused instead (the contract above).
        r = step_result{want::nothing, boost::asio::error::in_progress, 0};
      }
      if (r.next == want::nothing) {
        if (at == phase::start) {
          at = phase::posted;
          posted_result = r;
          boost::asio::post(s->tcp_.get_executor(), std::move(self));
          return;
        }
        return finish(self, r.ec, r.bytes);
      }
      at = phase::waiting;
      s->tcp_.begin_wait(side_of(kind));
      if (r.next == want::read) {
        // OpenSSL wants more only after the BIO found the inbox empty and the socket dry.
        s->inbox_receiving_ = true;
        s->tcp_.socket().async_receive(boost::asio::buffer(s->inbox_), std::move(self));
      } else {
        s->tcp_.socket().async_wait(boost::asio::socket_base::wait_write, std::move(self));
      }
    }

    template <class Self>
    static void finish(Self& self, boost::system::error_code ec, std::size_t n) {
      if constexpr (Sized) {
        self.complete(ec, n);
      } else {
        self.complete(ec);
      }
    }
  };

  deadline_tcp_stream tcp_;
  SSL* ssl_ = nullptr;
  int last_errno_ = 0;  // errno of the BIO's last failed send/recv, for SSL_ERROR_SYSCALL
  // Received bytes OpenSSL has not read yet: [inbox_begin_, inbox_end_). While a receive into it is
  // pending the BIO does not read the socket, so bytes can never overtake the ones landing here.
  std::uint16_t inbox_begin_ = 0;
  std::uint16_t inbox_end_ = 0;
  bool inbox_receiving_ = false;
  std::array<unsigned char, inbox_size> inbox_;
  friend struct socket_bio;
};

}  // namespace cba::tls
