#include "tests/support/recording_upstream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace cba::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto token = asio::as_tuple(asio::use_awaitable);

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

namespace {

std::string status_text(unsigned status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

std::string echo_body(const recorded_request& r, echo_mode mode, const std::string& fallback) {
  std::string out;
  switch (mode) {
    case echo_mode::none:
      return fallback;
    case echo_mode::json: {
      std::vector<std::pair<std::string, std::string>> merged;
      for (const auto& [name, value] : r.headers) {
        auto it = std::find_if(merged.begin(), merged.end(), [&](const auto& m) { return iequals(m.first, name); });
        if (it == merged.end())
          merged.emplace_back(name, value);
        else
          it->second += ", " + value;
      }
      out = "{";
      for (std::size_t i = 0; i < merged.size(); ++i) {
        if (i != 0) out += ", ";
        out += "\"" + json_escape(merged[i].first) + "\": \"" + json_escape(merged[i].second) + "\"";
      }
      out += "}\n";
      return out;
    }
    case echo_mode::lines:
      for (const auto& [name, value] : r.headers) out += name + ": " + value + "\n";
      return out;
    case echo_mode::summary:
      out = "cba-demo-upstream received:\nmethod: " + r.method + "\ntarget: " + r.target + "\nheaders:\n";
      for (const auto& [name, value] : r.headers) out += "  " + name + ": " + value + "\n";
      return out;
  }
  return fallback;
}

}  // namespace

struct recording_upstream::impl {
  options opts_;
  std::optional<asio::ssl::context> ssl_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  std::thread thread_;
  unsigned short port_ = 0;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  upstream_behaviour behaviour_;
  upstream_progress progress_;
  std::vector<recorded_request> records_;

  explicit impl(options opts) : opts_(std::move(opts)) {}

  template <class F>
  void update(F&& f) {
    {
      std::lock_guard lock(mutex_);
      f();
    }
    changed_.notify_all();
  }

  void start() {
    if (!opts_.certificate_chain.empty()) {
      ssl_.emplace(asio::ssl::context::tls_server);
      ssl_->use_certificate_chain_file(opts_.certificate_chain);
      ssl_->use_private_key_file(opts_.private_key, asio::ssl::context::pem);
    }
    tcp::endpoint ep(asio::ip::make_address(opts_.address), opts_.port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept_loop(this), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }

  void stop() {
    asio::post(io_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      io_.stop();
    });
    if (thread_.joinable()) thread_.join();
  }

  static asio::awaitable<void> accept_loop(impl* self) {
    for (;;) {
      auto [ec, socket] = co_await self->acceptor_.async_accept(token);
      if (ec) co_return;
      std::size_t index = 0;
      self->update([&] { index = self->progress_.connections++; });
      socket.set_option(tcp::no_delay(true));
      if (self->ssl_) {
        asio::co_spawn(self->io_, serve_tls(self, std::move(socket), index), asio::detached);
      } else {
        asio::co_spawn(self->io_, serve_connection(self, std::move(socket), index), asio::detached);
      }
    }
  }

  static asio::awaitable<void> serve_tls(impl* self, tcp::socket socket, std::size_t index) {
    asio::ssl::stream<tcp::socket> stream(std::move(socket), *self->ssl_);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, token);
    if (ec) co_return;
    co_await serve_connection(self, std::move(stream), index);
  }

  // Appends newly read bytes; false when the connection ended.
  template <class Stream>
  static asio::awaitable<bool> read_more(impl& self, Stream& stream, std::string& buf) {
    char tmp[65536];
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(tmp), token);
    if (n > 0) {
      buf.append(tmp, n);
      self.update([&] { self.progress_.raw_bytes += n; });
    }
    co_return !ec || n > 0;
  }

  void add_wire(std::optional<std::size_t> slot, std::string_view bytes) {
    constexpr std::size_t cap = 64 * 1024;
    if (!slot) return;
    update([&] {
      auto& w = records_[*slot].wire_body_prefix;
      if (w.size() < cap) w.append(bytes.substr(0, cap - w.size()));
    });
  }

  void add_body(std::optional<std::size_t> slot, std::string_view bytes) {
    if (bytes.empty()) return;
    update([&] {
      progress_.body_bytes += bytes.size();
      if (!slot) return;
      auto& r = records_[*slot];
      r.body.append(bytes);
      r.arrivals.push_back({std::chrono::steady_clock::now(), r.body.size()});
    });
  }

  template <class Stream>
  static asio::awaitable<void> serve_connection(impl* self, Stream stream, std::size_t conn) {
    std::string buf;
    for (;;) {
      std::size_t end;
      while ((end = find_head_end(buf)) == std::string::npos) {
        if (!co_await read_more(*self, stream, buf)) co_return;
      }
      recorded_request rec;
      rec.connection = conn;
      rec.raw_head = buf.substr(0, end);
      rec.head_at = std::chrono::steady_clock::now();
      buf.erase(0, end);
      auto head = parse_head(rec.raw_head);
      if (!head) co_return;
      rec.headers = head->headers;
      {
        std::string_view line = head->start_line;
        auto sp1 = line.find(' ');
        auto sp2 = line.rfind(' ');
        if (sp1 != std::string_view::npos && sp2 > sp1) {
          rec.method = std::string(line.substr(0, sp1));
          rec.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
          rec.version = std::string(line.substr(sp2 + 1));
        }
      }
      rec.chunked = has_token(rec.headers, "Transfer-Encoding", "chunked");
      std::uint64_t content_length = 0;
      if (auto cl = rec.header("Content-Length")) {
        auto [p, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), content_length);
        if (ec != std::errc{} || p != cl->data() + cl->size()) co_return;
      }

      upstream_behaviour behaviour;
      std::optional<std::size_t> slot;
      self->update([&] {
        behaviour = self->behaviour_;
        ++self->progress_.requests_started;
        if (self->opts_.keep_records) {
          slot = self->records_.size();
          self->records_.push_back(rec);
        }
      });

      if (behaviour.answer_100_continue && has_token(rec.headers, "Expect", "100-continue")) {
        static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(cont), token);
        if (ec) co_return;
      }

          bool ok = true;
      if (rec.chunked) {
        chunked_decoder decoder;
        std::size_t recorded = 0;  // bytes at the front of buf already in wire_body_prefix
        for (;;) {
          std::string out;
          self->add_wire(slot, std::string_view(buf).substr(recorded));
          decoder.feed(buf, out);
          recorded = buf.size();
          self->add_body(slot, out);
          if (decoder.done() || decoder.failed()) break;
          if (!co_await read_more(*self, stream, buf)) break;
        }
        ok = decoder.done();
      } else {
        std::uint64_t remaining = content_length;
        for (;;) {
          auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, buf.size()));
          self->add_body(slot, std::string_view(buf).substr(0, n));
          buf.erase(0, n);
          remaining -= n;
          if (remaining == 0) break;
          if (!co_await read_more(*self, stream, buf)) break;
        }
        ok = remaining == 0;
      }
      self->update([&] {
        if (slot) {
          self->records_[*slot].complete = ok;
          self->records_[*slot].malformed = !ok;
        }
        if (ok) ++self->progress_.requests_complete;
      });
      if (!ok) co_return;

      if (behaviour.delay.count() > 0) {
        asio::steady_timer timer(stream.get_executor());
        timer.expires_after(behaviour.delay);
        co_await timer.async_wait(token);
      }

      std::string body = echo_body(rec, behaviour.echo, behaviour.body);
      std::string response = "HTTP/1.1 " + std::to_string(behaviour.status) + " " + status_text(behaviour.status) + "\r\n";
      response += "Content-Type: " + behaviour.content_type + "\r\n";
      for (const auto& [name, value] : behaviour.extra_headers) response += name + ": " + value + "\r\n";
      const bool head_only = rec.method == "HEAD";  // the framing headers a GET would get, no body
      if (behaviour.chunked_response) {
        response += "Transfer-Encoding: chunked\r\n\r\n";
        if (!head_only)
          response += encode_chunked(body, behaviour.response_chunk_size == 0 ? 1 : behaviour.response_chunk_size);
      } else {
        response += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
        if (!head_only) response += body;
      }
      auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(response), token);
      if (wec) co_return;
      if (has_token(rec.headers, "Connection", "close")) co_return;
    }
  }
};

recording_upstream::recording_upstream() : recording_upstream(options{}) {}

recording_upstream::recording_upstream(options opts) : impl_(std::make_unique<impl>(std::move(opts))) {
  impl_->start();
}

recording_upstream::~recording_upstream() { stop(); }

void recording_upstream::stop() { impl_->stop(); }

unsigned short recording_upstream::port() const noexcept { return impl_->port_; }

std::string recording_upstream::url() const {
  return std::string(impl_->ssl_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port());
}

void recording_upstream::set_behaviour(upstream_behaviour behaviour) {
  impl_->update([&] { impl_->behaviour_ = std::move(behaviour); });
}

upstream_progress recording_upstream::progress() const {
  std::lock_guard lock(impl_->mutex_);
  return impl_->progress_;
}

std::vector<recorded_request> recording_upstream::requests() const {
  std::lock_guard lock(impl_->mutex_);
  return impl_->records_;
}

std::optional<recorded_request> recording_upstream::request(std::size_t index) const {
  std::lock_guard lock(impl_->mutex_);
  if (index >= impl_->records_.size()) return std::nullopt;
  return impl_->records_[index];
}

bool recording_upstream::wait_until(const std::function<bool(const upstream_progress&)>& pred,
                                    std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex_);
  return impl_->changed_.wait_for(lock, timeout, [&] { return pred(impl_->progress_); });
}

bool recording_upstream::wait_for_requests(std::size_t complete_count, std::chrono::milliseconds timeout) const {
  return wait_until([&](const upstream_progress& p) { return p.requests_complete >= complete_count; }, timeout);
}

}  // namespace cba::test
