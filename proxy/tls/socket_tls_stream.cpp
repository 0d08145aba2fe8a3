#include "proxy/tls/socket_tls_stream.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <stdexcept>

namespace cba::tls {

namespace asio = boost::asio;

// ---------------------------------------------------------------------------------------------------
// deadline_tcp_stream

struct deadline_tcp_stream::state {
  explicit state(asio::ip::tcp::socket&& s)
      : socket(std::move(s)), timers{asio::steady_timer(socket.get_executor()), asio::steady_timer(socket.get_executor())} {}
  asio::ip::tcp::socket socket;
  clock::time_point at = clock::time_point::max();
  std::array<asio::steady_timer, 2> timers;
  std::array<std::uint64_t, 2> tick{};
  std::array<bool, 2> armed{};
  std::array<bool, 2> fired{};
};

deadline_tcp_stream::deadline_tcp_stream(asio::ip::tcp::socket&& socket)
    : state_(std::make_shared<state>(std::move(socket))) {}

deadline_tcp_stream::deadline_tcp_stream(boost::beast::tcp_stream&& tcp) : deadline_tcp_stream(tcp.release_socket()) {}

deadline_tcp_stream::~deadline_tcp_stream() = default;

asio::ip::tcp::socket& deadline_tcp_stream::socket() noexcept { return state_->socket; }
deadline_tcp_stream::executor_type deadline_tcp_stream::get_executor() noexcept { return state_->socket.get_executor(); }

void deadline_tcp_stream::expires_after(clock::duration d) { state_->at = clock::now() + d; }
void deadline_tcp_stream::expires_at(clock::time_point t) { state_->at = t; }
void deadline_tcp_stream::expires_never() { state_->at = clock::time_point::max(); }

void deadline_tcp_stream::begin_wait(side s) {
  const auto i = static_cast<std::size_t>(s);
  auto& st = *state_;
  const auto tick = ++st.tick[i];
  st.fired[i] = false;
  st.armed[i] = st.at != clock::time_point::max();
  if (!st.armed[i]) return;
  st.timers[i].expires_at(st.at);
  st.timers[i].async_wait([weak = std::weak_ptr<state>(state_), i, tick](const boost::system::error_code& ec) {
    if (ec) return;
    auto sp = weak.lock();
    if (!sp || sp->tick[i] != tick) return;  // the stream is gone, or the wait already ended
    sp->fired[i] = true;
    boost::system::error_code ignored;
    sp->socket.close(ignored);  // ends the pending wait; the operation reports timeout
  });
}

bool deadline_tcp_stream::end_wait(side s) {
  const auto i = static_cast<std::size_t>(s);
  auto& st = *state_;
  const bool fired = st.fired[i];
  st.fired[i] = false;
  ++st.tick[i];  // a handler already queued finds a newer tick and does nothing
  if (st.armed[i]) {
    st.armed[i] = false;
    st.timers[i].cancel();
  }
  return fired;
}

// ---------------------------------------------------------------------------------------------------
// The BIO: send/recv on the stream's socket as it is now (a closed socket is -1: EBADF, never another
// connection's reused descriptor), MSG_NOSIGNAL so a peer that went away cannot raise SIGPIPE.

struct socket_bio {
  static socket_tls_stream* stream(BIO* b) { return static_cast<socket_tls_stream*>(BIO_get_data(b)); }
  static int fd(BIO* b) { return stream(b)->tcp_.socket().native_handle(); }

  static int write(BIO* b, const char* data, int size) {
    BIO_clear_retry_flags(b);
    const ssize_t n = ::send(fd(b), data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      BIO_set_retry_write(b);
    } else {
      stream(b)->last_errno_ = errno;
    }
    return -1;
  }

  static int read(BIO* b, char* data, int size) {
    BIO_clear_retry_flags(b);
    auto& s = *stream(b);
    if (s.inbox_begin_ < s.inbox_end_) {
      const auto n = std::min<std::size_t>(static_cast<std::size_t>(size), s.inbox_end_ - s.inbox_begin_);
      std::memcpy(data, s.inbox_.data() + s.inbox_begin_, n);
      s.inbox_begin_ = static_cast<std::uint16_t>(s.inbox_begin_ + n);
      return static_cast<int>(n);
    }
    if (s.inbox_receiving_) {  // the receive pending into the inbox gets the next bytes first
      BIO_set_retry_read(b);
      return -1;
    }
    const ssize_t n = ::recv(fd(b), data, static_cast<std::size_t>(size), 0);
    if (n > 0) return static_cast<int>(n);
    if (n == 0) {
      BIO_set_flags(b, BIO_FLAGS_IN_EOF);  // BIO_eof: OpenSSL 3 reports an unexpected EOF
      return 0;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      BIO_set_retry_read(b);
    } else {
      stream(b)->last_errno_ = errno;
    }
    return -1;
  }

  static long ctrl(BIO* b, int cmd, long, void*) {
    switch (cmd) {
      case BIO_CTRL_FLUSH:
        return 1;
      case BIO_CTRL_EOF:
        return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0 ? 1 : 0;
      case BIO_CTRL_PENDING:
        return stream(b)->inbox_end_ - stream(b)->inbox_begin_;
      case BIO_C_GET_FD:
        return fd(b);
      default:
        return 0;
    }
  }

  static const BIO_METHOD* method() {
    // Made once, immutable afterwards, freed at exit by nobody (like OpenSSL's own methods).
    static const BIO_METHOD* const m = [] {
      BIO_METHOD* made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "cba socket");
      if (made == nullptr || BIO_meth_set_write(made, &write) != 1 || BIO_meth_set_read(made, &read) != 1 ||
          BIO_meth_set_ctrl(made, &ctrl) != 1) {
        throw std::runtime_error("cannot create the socket BIO method");
      }
      return made;
    }();
    return m;
  }
};

// ---------------------------------------------------------------------------------------------------
// socket_tls_stream

socket_tls_stream::socket_tls_stream(boost::beast::tcp_stream&& tcp, asio::ssl::context& context)
    : socket_tls_stream(tcp.release_socket(), context) {}

socket_tls_stream::socket_tls_stream(asio::ip::tcp::socket&& socket, asio::ssl::context& context)
    : tcp_(std::move(socket)), ssl_(SSL_new(context.native_handle())) {
  if (ssl_ == nullptr) {
    const boost::system::error_code ec(static_cast<int>(ERR_get_error()), asio::error::get_ssl_category());
    throw boost::system::system_error(ec, "SSL_new");
  }
  // What asio's engine sets, so writes behave like its async_write_some: partial writes complete, a
  // retry may present the same bytes from another address, idle connections drop OpenSSL's buffers.
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  // A record is read whole in one recv instead of header then body.
  SSL_set_read_ahead(ssl_, 1);
  BIO* bio = BIO_new(socket_bio::method());
  if (bio == nullptr) {
    SSL_free(ssl_);
    throw boost::system::system_error(asio::error::no_memory, "BIO_new");
  }
  BIO_set_data(bio, this);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl_, bio, bio);
  boost::system::error_code ignored;
  tcp_.socket().native_non_blocking(true, ignored);  // a failure shows on the first operation
}

socket_tls_stream::~socket_tls_stream() { SSL_free(ssl_); }

socket_tls_stream::step_result socket_tls_stream::step(op_kind kind, void* data, std::size_t size) {
  step_result r;
  if (!tcp_.socket().is_open()) {
    r.ec = asio::error::bad_descriptor;
    return r;
  }
  if ((kind == op_kind::read || kind == op_kind::write) && size == 0) return r;
  if (kind == op_kind::wait_readable) {
    if (SSL_has_pending(ssl_) != 1 && inbox_begin_ == inbox_end_) r.next = want::read;
    return r;
  }
  ERR_clear_error();
  last_errno_ = 0;
  int ret = 0;
  switch (kind) {
    case op_kind::handshake:
      ret = SSL_do_handshake(ssl_);
      break;
    case op_kind::shutdown:
      // As asio does: the first call sends close_notify, the second waits for the peer's.
      ret = SSL_shutdown(ssl_);
      if (ret == 0) ret = SSL_shutdown(ssl_);
      break;
    case op_kind::read:
      ret = SSL_read_ex(ssl_, data, size, &r.bytes);
      break;
    case op_kind::write:
      ret = SSL_write_ex(ssl_, data, size, &r.bytes);
      break;
    case op_kind::wait_readable:
      break;  // answered above
  }
  const int error = SSL_get_error(ssl_, ret);
  const unsigned long queued = ERR_get_error();
  ERR_clear_error();  // nothing of this connection may surface on the next one of this thread
  switch (error) {
    case SSL_ERROR_NONE:
      return r;
    case SSL_ERROR_WANT_READ:
      r.next = want::read;
      r.bytes = 0;
      return r;
    case SSL_ERROR_WANT_WRITE:
      r.next = want::write;
      r.bytes = 0;
      return r;
    case SSL_ERROR_ZERO_RETURN:
      r.ec = asio::error::eof;  // the peer's close_notify
      break;
    case SSL_ERROR_SYSCALL:
      if (queued != 0) {
        r.ec = boost::system::error_code(static_cast<int>(queued), asio::error::get_ssl_category());
      } else if (last_errno_ != 0) {
        r.ec = boost::system::error_code(last_errno_, asio::error::get_system_category());
      } else {
        r.ec = asio::ssl::error::stream_truncated;  // EOF without close_notify
      }
      break;
    case SSL_ERROR_SSL:
      if (ERR_GET_LIB(queued) == ERR_LIB_SSL && ERR_GET_REASON(queued) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        r.ec = asio::ssl::error::stream_truncated;
      } else {
        r.ec = boost::system::error_code(static_cast<int>(queued), asio::error::get_ssl_category());
      }
      break;
    default:
      r.ec = asio::ssl::error::unexpected_result;
      break;
  }
  r.bytes = 0;
  return r;
}

}  // namespace cba::tls
