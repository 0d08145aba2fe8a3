#include "tests/support/raw_tls_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <charconv>

namespace cba::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

struct raw_tls_client::impl {
  asio::io_context io_{1};
  asio::ssl::context ctx_{asio::ssl::context::tls_client};
  std::optional<asio::ssl::stream<tcp::socket>> stream_;
  std::string buf_;
  error_code last_;
  bool eof_ = false;

  // Runs io_ until `done` or the timeout; on timeout closes the socket so the operation completes.
  bool run(const bool& done, std::chrono::milliseconds timeout) {
    io_.restart();
    io_.run_for(timeout);
    if (done) return true;
    error_code ignored;
    stream_->lowest_layer().close(ignored);
    io_.restart();
    io_.run();
    return false;
  }

  // Reads more into buf_; false on EOF/error/timeout.
  bool read_more(std::chrono::steady_clock::time_point deadline) {
    if (eof_ || !stream_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      last_ = asio::error::timed_out;
      return false;
    }
    bool done = false;
    char tmp[65536];
    std::size_t got = 0;
    error_code ec;
    stream_->async_read_some(asio::buffer(tmp), [&](error_code e, std::size_t n) {
      ec = e;
      got = n;
      done = true;
    });
    if (!run(done, left)) {
      last_ = asio::error::timed_out;
      eof_ = true;  // the socket is closed now
      return false;
    }
    buf_.append(tmp, got);
    if (ec) {
      last_ = ec;
      eof_ = true;
      return got > 0;
    }
    return true;
  }
};

raw_tls_client::raw_tls_client() : impl_(std::make_unique<impl>()) {}
raw_tls_client::~raw_tls_client() { close(); }

error_code raw_tls_client::connect(const tcp::endpoint& endpoint, const tls_client_options& options,
                                   std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  d.buf_.clear();
  d.eof_ = false;
  error_code ec;
  if (!options.cert_file.empty()) {
    d.ctx_.use_certificate_chain_file(options.cert_file, ec);
    if (!ec) d.ctx_.use_private_key_file(options.key_file, asio::ssl::context::pem, ec);
    if (ec) return d.last_ = ec;
  }
  if (!options.ca_file.empty()) {
    d.ctx_.load_verify_file(options.ca_file, ec);
    if (ec) return d.last_ = ec;
    d.ctx_.set_verify_mode(asio::ssl::verify_peer);
  }
  if (options.tls12_only) SSL_CTX_set_max_proto_version(d.ctx_.native_handle(), TLS1_2_VERSION);
  d.stream_.emplace(d.io_, d.ctx_);
  if (!options.server_name.empty()) {
    // SSL_set_tlsext_host_name is a macro with a C cast; this is its expansion.
    SSL_ctrl(d.stream_->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(options.server_name.c_str()));
    if (!options.ca_file.empty()) d.stream_->set_verify_callback(asio::ssl::host_name_verification(options.server_name));
  }
  bool done = false;
  d.stream_->lowest_layer().async_connect(endpoint, [&](error_code e) {
    ec = e;
    if (e) {
      done = true;
      return;
    }
    d.stream_->async_handshake(asio::ssl::stream_base::client, [&](error_code h) {
      ec = h;
      done = true;
    });
  });
  if (!d.run(done, timeout)) ec = asio::error::timed_out;
  return d.last_ = ec;
}

error_code raw_tls_client::write(std::string_view bytes, std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  if (!d.stream_) return d.last_ = asio::error::not_connected;
  bool done = false;
  error_code ec;
  asio::async_write(*d.stream_, asio::buffer(bytes.data(), bytes.size()), [&](error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!d.run(done, timeout)) ec = asio::error::timed_out;
  return d.last_ = ec;
}

std::optional<raw_response> raw_tls_client::read_head(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t end;
  while ((end = find_head_end(d.buf_)) == std::string::npos)
    if (!d.read_more(deadline)) return std::nullopt;
  raw_response r;
  r.raw_head = d.buf_.substr(0, end);
  d.buf_.erase(0, end);
  auto head = parse_head(r.raw_head);
  if (!head) return std::nullopt;
  r.headers = head->headers;
  auto sp = head->start_line.find(' ');
  if (sp == std::string::npos) return std::nullopt;
  std::string_view code = std::string_view(head->start_line).substr(sp + 1, 3);
  std::from_chars(code.data(), code.data() + code.size(), r.status);
  return r;
}

std::optional<raw_response> raw_tls_client::read_response(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto head = read_head(timeout);
  if (!head) return std::nullopt;
  raw_response r = std::move(*head);
  if (r.status / 100 == 1 || r.status == 204 || r.status == 304) return r;
  if (has_token(r.headers, "Transfer-Encoding", "chunked")) {
    chunked_decoder decoder;
    for (;;) {
      decoder.feed(d.buf_, r.body);
      if (decoder.done()) return r;
      if (decoder.failed() || !d.read_more(deadline)) return std::nullopt;
    }
  }
  if (auto cl = r.header("Content-Length")) {
    std::size_t length = 0;
    std::from_chars(cl->data(), cl->data() + cl->size(), length);
    while (d.buf_.size() < length)
      if (!d.read_more(deadline)) return std::nullopt;
    r.body = d.buf_.substr(0, length);
    d.buf_.erase(0, length);
    return r;
  }
  while (d.read_more(deadline)) {
  }
  if (d.last_ == asio::error::timed_out) return std::nullopt;
  r.body = std::move(d.buf_);
  d.buf_.clear();
  return r;
}

std::optional<raw_response> raw_tls_client::read_final_response(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto r = read_response(left);
    if (!r || r->status / 100 != 1) return r;
  }
}

bool raw_tls_client::wait_closed(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (d.read_more(deadline)) {
  }
  return d.eof_ && d.last_ != asio::error::timed_out;
}

bool raw_tls_client::request_renegotiation() {
  return impl_->stream_ && SSL_renegotiate(impl_->stream_->native_handle()) == 1;
}

const std::string& raw_tls_client::pending() const noexcept { return impl_->buf_; }
error_code raw_tls_client::last_error() const noexcept { return impl_->last_; }

void raw_tls_client::close() {
  if (impl_->stream_) {
    error_code ignored;
    impl_->stream_->lowest_layer().close(ignored);
  }
}

}  // namespace cba::test
