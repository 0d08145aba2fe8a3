#include "bench/loadgen/worker.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>

namespace cba::bench {

const char* to_string(error_kind k) {
  switch (k) {
    case error_kind::connect: return "connect";
    case error_kind::tls_handshake: return "tls_handshake";
    case error_kind::write: return "write";
    case error_kind::read: return "read";
    case error_kind::closed: return "closed_early";
    case error_kind::http_parse: return "http_parse";
    case error_kind::http_status: return "http_status";
    case error_kind::timeout: return "timeout";
  }
  return "?";
}

namespace {

constexpr std::uint64_t held_tag = std::uint64_t{1} << 63;
constexpr auto scan_interval = std::chrono::milliseconds(5);

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::uint64_t nanoseconds(clock::duration d) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}

}  // namespace

worker::worker(const options& o, SSL_CTX* ctx, const socket_address& target, unsigned slots, run_control& control)
    : o_(o), ctx_(ctx), target_(target), control_(control), conns_(slots) {
  request_ = "GET " + o.path + " HTTP/1.1\r\nHost: " + o.host_header + "\r\nUser-Agent: cba-bench-loadgen\r\n\r\n";
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  if (o.mode == load_mode::keepalive || o.mode == load_mode::resumed) {
    setup_left_ = slots;
    for (auto& c : conns_) c.setup_pending = true;
  }
  if (o.mode == load_mode::idle) held_.reserve(static_cast<std::size_t>(o.max_operations));
}

worker::~worker() {
  for (auto& c : conns_) close_connection(c, false);
  for (int fd : held_) {
    if (fd >= 0) ::close(fd);
  }
  if (epoll_ >= 0) ::close(epoll_);
}

void worker::run() {
  std::array<epoll_event, 256> events{};
  for (;;) {
    if (control_.stop.load(std::memory_order_relaxed)) break;
    maintain(clock::now());
    if (drained_ && o_.mode != load_mode::idle) break;
    const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 2);
    for (int i = 0; i < n; ++i) {
      const std::uint64_t tag = events[static_cast<std::size_t>(i)].data.u64;
      if (tag & held_tag) {
        on_held_event(static_cast<std::size_t>(tag & ~held_tag));
      } else {
        drive(conns_[static_cast<std::size_t>(tag)]);
      }
    }
  }
  if (result_.finished == clock::time_point{}) result_.finished = clock::now();
}

// Starts what may start, expires deadlines, signals readiness and drain. Cheap: runs every few ms.
void worker::maintain(clock::time_point now) {
  if (now - last_scan_ < scan_interval && signalled_ready_) return;
  last_scan_ = now;
  const bool go = control_.go.load(std::memory_order_acquire);
  bool active = false;
  for (auto& c : conns_) {
    if (c.state == phase::closed && (go || c.setup_pending)) start(c, now);
    if (c.state == phase::parked && go) {
      begin_request(c);
      drive(c);  // registered for reading only while parked: write the first request now
    }
    if (c.state == phase::connecting || c.state == phase::handshaking || c.state == phase::writing ||
        c.state == phase::reading) {
      if (now >= c.deadline) fail(c, error_kind::timeout);
    }
    if (c.state != phase::finished) active = true;
  }
  if (!signalled_ready_ && setup_left_ == 0) {
    signalled_ready_ = true;
    control_.ready.fetch_add(1, std::memory_order_acq_rel);
  }
  if (go && !active && !drained_) {
    drained_ = true;
    result_.finished = clock::now();
    control_.drained.fetch_add(1, std::memory_order_acq_rel);
  }
}

bool worker::take_operation() {
  return control_.started.fetch_add(1, std::memory_order_relaxed) < control_.max_operations;
}

void worker::start(connection& c, clock::time_point now) {
  if (c.setup_pending) {  // keepalive: connect; resumed: one full, unmeasured operation
    c.measured = false;
    c.op_start = now;
    open(c, now);
    return;
  }
  if (o_.mode == load_mode::keepalive) {  // (re)connect; requests are taken once established
    c.measured = false;
    open(c, now);
    return;
  }
  if (!take_operation()) {
    c.state = phase::finished;
    return;
  }
  c.measured = true;
  c.op_start = now;
  open(c, now);
}

void worker::open(connection& c, clock::time_point now) {
  c.deadline = now + o_.timeout;
  c.requests = 0;
  c.fd = ::socket(target_.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) return fail(c, error_kind::connect);
  const int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c.state = phase::connecting;
  c.interest = 0;
  const int rc = ::connect(c.fd, reinterpret_cast<const sockaddr*>(&target_.storage), target_.length);
  if (rc != 0 && errno != EINPROGRESS) return fail(c, error_kind::connect);
  epoll_event ev{};
  ev.events = EPOLLOUT;
  ev.data.u64 = static_cast<std::uint64_t>(&c - conns_.data());
  epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
  c.interest = EPOLLOUT;
}

void worker::want(connection& c, std::uint32_t events) {
  if (c.interest == events) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = static_cast<std::uint64_t>(&c - conns_.data());
  epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
  c.interest = events;
}

void worker::drive(connection& c) {
  char buf[16384];
  for (;;) {
    switch (c.state) {
      case phase::connecting: {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == EINPROGRESS || err == EALREADY) return;
        if (err != 0) return fail(c, error_kind::connect);
        if (!o_.tls) {
          established(c);
          break;
        }
        c.ssl.reset(SSL_new(ctx_));
        SSL_set_fd(c.ssl.get(), c.fd);
        SSL_set_ex_data(c.ssl.get(), 0, &c.slot);  // SSL_set_app_data, without its C cast
        if (!is_ip_literal(o_.host_header)) {  // SSL_set_tlsext_host_name, without its C cast
          SSL_ctrl(c.ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                   const_cast<char*>(o_.host_header.c_str()));
        }
        if (o_.mode == load_mode::resumed && c.slot.session) SSL_set_session(c.ssl.get(), c.slot.session.get());
        c.state = phase::handshaking;
        break;
      }
      case phase::handshaking: {
        ERR_clear_error();
        const int rc = SSL_connect(c.ssl.get());
        if (rc == 1) {
          if (control_.go.load(std::memory_order_relaxed) && !c.setup_pending) {
            ++result_.handshakes;
            if (SSL_session_reused(c.ssl.get()) == 1) ++result_.resumed;
          }
          established(c);
          break;
        }
        const int e = SSL_get_error(c.ssl.get(), rc);
        if (e == SSL_ERROR_WANT_READ) return want(c, EPOLLIN);
        if (e == SSL_ERROR_WANT_WRITE) return want(c, EPOLLOUT);
        return fail(c, error_kind::tls_handshake);
      }
      case phase::writing: {
        const char* p = request_.data() + c.written;
        const std::size_t left = request_.size() - c.written;
        if (c.ssl) {
          ERR_clear_error();
          const int rc = SSL_write(c.ssl.get(), p, static_cast<int>(left));
          if (rc <= 0) {
            const int e = SSL_get_error(c.ssl.get(), rc);
            if (e == SSL_ERROR_WANT_READ) return want(c, EPOLLIN);
            if (e == SSL_ERROR_WANT_WRITE) return want(c, EPOLLOUT);
            return fail(c, error_kind::write);
          }
          c.written += static_cast<std::size_t>(rc);
        } else {
          const ssize_t rc = ::send(c.fd, p, left, MSG_NOSIGNAL);
          if (rc < 0) {
            if (errno == EAGAIN) return want(c, EPOLLOUT);
            return fail(c, error_kind::write);
          }
          c.written += static_cast<std::size_t>(rc);
        }
        if (c.written == request_.size()) c.state = phase::reading;
        break;
      }
      case phase::reading: {
        std::size_t got = 0;
        if (c.ssl) {
          ERR_clear_error();
          const int rc = SSL_read(c.ssl.get(), buf, sizeof buf);
          if (rc <= 0) {
            const int e = SSL_get_error(c.ssl.get(), rc);
            if (e == SSL_ERROR_WANT_READ) return want(c, EPOLLIN);
            if (e == SSL_ERROR_WANT_WRITE) return want(c, EPOLLOUT);
            if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
              return fail(c, error_kind::closed);
            }
            return fail(c, error_kind::read);
          }
          got = static_cast<std::size_t>(rc);
        } else {
          const ssize_t rc = ::recv(c.fd, buf, sizeof buf, 0);
          if (rc < 0) {
            if (errno == EAGAIN) return want(c, EPOLLIN);
            return fail(c, error_kind::read);
          }
          if (rc == 0) return fail(c, error_kind::closed);
          got = static_cast<std::size_t>(rc);
        }
        const auto s = c.reader.feed(buf, got);
        if (s == response_reader::state::error) return fail(c, error_kind::http_parse);
        if (s == response_reader::state::complete) response_done(c);
        break;
      }
      case phase::closed:
      case phase::parked:
      case phase::finished:
        return;
    }
    if (c.state == phase::closed || c.state == phase::parked || c.state == phase::finished) return;
  }
}

void worker::established(connection& c) {
  if (o_.mode == load_mode::keepalive) {
    if (c.setup_pending) setup_finished(c);
    if (control_.go.load(std::memory_order_acquire)) {
      begin_request(c);
    } else {
      c.state = phase::parked;
      want(c, EPOLLIN);  // a server closing a parked connection is noticed at the first request
    }
    return;
  }
  c.written = 0;
  c.reader.reset();
  c.state = phase::writing;
}

void worker::begin_request(connection& c) {
  if (!take_operation()) {
    close_connection(c, true);
    c.state = phase::finished;
    return;
  }
  c.measured = true;
  c.op_start = clock::now();
  c.deadline = c.op_start + o_.timeout;
  c.written = 0;
  c.reader.reset();
  c.state = phase::writing;
}

void worker::response_done(connection& c) {
  const auto now = clock::now();
  const bool good = c.reader.status() >= 200 && c.reader.status() < 300;
  if (c.measured) {
    if (good) {
      ++result_.ok;
      result_.latency.record(nanoseconds(now - c.op_start));
    } else {
      ++result_.errors[static_cast<std::size_t>(error_kind::http_status)];
      if (result_.first_bad_status == 0) result_.first_bad_status = c.reader.status();
    }
  }
  ++c.requests;
  switch (o_.mode) {
    case load_mode::keepalive: {
      const bool limit = o_.requests_per_connection != 0 && c.requests >= o_.requests_per_connection;
      if (c.reader.connection_close() || limit) {
        close_connection(c, true);
        ++result_.reconnects;
        if (control_.go.load(std::memory_order_relaxed)) start(c, now);
      } else {
        begin_request(c);
      }
      return;
    }
    case load_mode::full:
    case load_mode::resumed:
      close_connection(c, true);
      if (c.setup_pending) setup_finished(c);
      if (control_.go.load(std::memory_order_relaxed)) start(c, now);
      return;
    case load_mode::idle:
      if (good) {
        hold(c);
      } else {
        close_connection(c, false);
      }
      start(c, now);
      return;
  }
}

void worker::fail(connection& c, error_kind k) {
  // Set-up failures count too: a server refusing the first handshake must not look like a fast one.
  if (c.measured || c.setup_pending) ++result_.errors[static_cast<std::size_t>(k)];
  close_connection(c, false);
  if (c.setup_pending) setup_finished(c);
  // The slot restarts at the next scan, not now: a refusing server cannot make this loop spin.
}

void worker::setup_finished(connection& c) {
  c.setup_pending = false;
  if (setup_left_ > 0) --setup_left_;
}

void worker::close_connection(connection& c, bool tls_shutdown) {
  if (c.ssl) {
    if (tls_shutdown) SSL_shutdown(c.ssl.get());  // sends close_notify; the reply is not awaited
    c.ssl.reset();
  }
  if (c.fd >= 0) ::close(c.fd);
  c.fd = -1;
  c.interest = 0;
  c.state = phase::closed;
}

// Idle mode: the TLS session stays open on the server's side; here only the socket is kept (no SSL
// object, no buffers), so 10 000 of them cost the load generator almost nothing.
void worker::hold(connection& c) {
  c.ssl.reset();
  const std::size_t index = held_.size();
  held_.push_back(c.fd);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u64 = held_tag | index;
  epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
  control_.held.fetch_add(1, std::memory_order_relaxed);
  c.fd = -1;
  c.interest = 0;
  c.state = phase::closed;
}

void worker::on_held_event(std::size_t index) {
  int& fd = held_[index];
  if (fd < 0) return;
  char buf[4096];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  if (n > 0 || (n < 0 && errno == EAGAIN)) return;  // late TLS records (tickets): dropped
  ::close(fd);
  fd = -1;
  ++result_.idle_lost;
  control_.held.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace cba::bench
