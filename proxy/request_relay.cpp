#include "proxy/request_relay.hpp"

#include "proxy/admin/metrics.hpp"
#include "proxy/http/head_writer.hpp"
#include "proxy/http/header_policy.hpp"
#include "proxy/upstream/pool.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <array>
#include <optional>
#include <span>

namespace cba {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

using response_parser = bhttp::response_parser<bhttp::buffer_body>;

// Body bytes move in pieces of this size; memory per relayed request is bounded by it.
constexpr std::size_t relay_chunk = 16 * 1024;
constexpr int max_interim_responses = 8;
// A 401's body is read and dropped (so its connection can be re-authenticated) up to this size.
constexpr std::size_t challenge_body_limit = 64 * 1024;

bool timed_out(const beast::error_code& ec) { return ec == beast::error::timeout; }

// Counts the fields of a header so trailers (which Beast appends to the header) can be detected.
std::size_t field_count(const bhttp::fields& fields) {
  return static_cast<std::size_t>(std::distance(fields.begin(), fields.end()));
}

// The token of the first "WWW-Authenticate: Negotiate <token>" ("" when there is none).
std::string negotiate_reply_token(const bhttp::fields& fields) {
  const auto range = fields.equal_range(bhttp::field::www_authenticate);
  for (auto it = range.first; it != range.second; ++it) {
    auto value = it->value();
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    constexpr std::string_view scheme = "Negotiate";
    if (value.size() > scheme.size() && beast::iequals(value.substr(0, scheme.size()), scheme) &&
        value[scheme.size()] == ' ') {
      auto token = value.substr(scheme.size() + 1);
      while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
      if (!token.empty()) return std::string(token);
    }
  }
  return {};
}

class relay {
 public:
  explicit relay(relay_request_context& ctx) : ctx_(ctx) {}

  asio::awaitable<relay_outcome> run() {
    auto& req = ctx_.request.get();
    expect_continue_ = beast::iequals(req[bhttp::field::expect], "100-continue");
    // The proxy answers 100-continue itself once the upstream is reachable; the upstream gets the body
    // without waiting, so it needs no Expect.
    req.erase(bhttp::field::expect);
    req.version(11);
    req.keep_alive(true);
    hold_body_ = ctx_.negotiate != nullptr;
    // A body that cannot be held for a retry must not meet a 401, so its request carries a token even
    // on an authenticated connection (a cached ticket: no KDC traffic).
    const auto length = ctx_.request.content_length();
    const bool body_holdable = ctx_.request.is_done() || (length && *length <= replay_body_limit);

    // Each kind of second attempt happens at most once, so a request makes at most four attempts.
    bool stale_retry_used = false;       // a pooled connection the upstream had closed
    bool reauth_used = false;            // a 401 on a connection we had not sent a token on
    bool fresh_credential_used = false;  // a 401 for the token we sent
    bool force_token = false;
    for (;;) {
      bool reused = true;  // re-authenticating the connection we hold
      if (!lease_ || !lease_->holds_connection()) {
        // A request that can be sent again may take a briefly idle connection without the pool
        // peeking at it: if the upstream closed it meanwhile, the stale retry below covers that.
        const bool can_retry = !stale_retry_used && replayable();
        auto leased = co_await ctx_.pool.acquire(ctx_.identity_key, ctx_.client.get_executor(), can_retry);
        if (!leased) {
          out_.reason = static_cast<errc>(leased.error().code.value());
          if (leased.error().code.category() != proxy_category()) out_.reason = errc::upstream_connect_failed;
          out_.detail = leased.error().detail;
          co_return out_;
        }
        lease_.emplace(std::move(*leased));
        reused = lease_->reused();
      }
      out_.upstream_reused = reused;

      bool token_sent = false;
      if (ctx_.negotiate != nullptr && (!reused || force_token || !body_holdable)) {
        const bool attached = co_await attach_token();
        if (!attached) {
          lease_.reset();
          co_return out_;
        }
        token_sent = true;
      } else {
        req.erase(bhttp::field::authorization);  // an earlier attempt's token
      }
      force_token = false;
      if (!head_fits(token_sent)) {
        lease_.reset();  // nothing was sent on it
        co_return out_;
      }

      challenged_ = false;
      const bool sent = co_await send_request();
      if (sent) co_await relay_response(token_sent);

      if (challenged_) {
        ++out_.upstream_401s;
        if (token_sent) ctx_.negotiate->invalidate();
        if (replayable() && !token_sent && !reauth_used) {
          reauth_used = true;  // the upstream forgot the connection's authentication: once more, with a token
          force_token = true;
          continue;
        }
        if (replayable() && token_sent && !fresh_credential_used) {
          fresh_credential_used = true;  // the ticket was refused: once more with a fresh one from the KDC
          force_token = true;
          continue;
        }
        lease_.reset();
        fail(errc::upstream_auth_failed,
             ctx_.upstream.name + " answered 401 to the delegated Kerberos ticket of " +
                 ctx_.negotiate->principal() +
                 (replayable() ? std::string(" (after a retry)")
                               : " (not retried: the request body was not held, over " +
                                     std::to_string(replay_body_limit) + " bytes)"));
        if (is_activesync_route(ctx_.route.path_prefix)) out_.refusal_status = 403;
        co_return out_;
      }

      // A pooled connection the upstream closed just as we picked it fails before any response byte;
      // the request is then sent once more on a fresh connection when it can be.
      const bool retry = !stale_retry_used && reused && replayable() && out_.status == 0 &&
                         out_.reason == errc::upstream_closed;
      if (!retry) co_return out_;
      stale_retry_used = true;
      lease_.reset();
      out_.reason = errc::ok;
      out_.detail.clear();
    }
  }

 private:
  upstream::upstream_stream& up() { return lease_->stream(); }

  void fail(errc reason, std::string detail) {
    out_.reason = reason;
    out_.detail = std::move(detail);
  }

  // Whether the request can be sent again: its body (if any) was read completely and is held.
  bool replayable() const { return ctx_.request.is_done() && !hold_overflow_ && (!body_read_ || hold_body_); }

  asio::awaitable<bool> attach_token() {
    auto step = co_await ctx_.negotiate->start(up().native_ssl());
    if (step.reason != errc::ok) {
      fail(step.reason, std::move(step.detail));
      co_return false;
    }
    ++out_.upstream_auths;
    out_.negotiate_token_bytes = step.token_base64.size();
    ctx_.request.get().set(bhttp::field::authorization, "Negotiate " + step.token_base64);
    co_return true;
  }

  // upstreams[].request_header_bytes: the upstream (HTTP.sys: MaxRequestBytes) would answer 400, so the
  // proxy answers 431 itself and says which header made the head large.
  bool head_fits(bool token_sent) {
    if (!ctx_.upstream.request_header_bytes) return true;
    const auto limit = *ctx_.upstream.request_header_bytes;
    const auto size = measure_request_head(ctx_.request.get());
    if (size.total <= limit) return true;
    std::string detail = "the request head towards " + ctx_.upstream.name + " would be " + std::to_string(size.total) +
                         " bytes, over its request_header_bytes " + std::to_string(limit) + "; largest header: " +
                         size.largest_name + " (" + std::to_string(size.largest_bytes) + " bytes)";
    if (token_sent)
      detail += "; Authorization: Negotiate carries a " + std::to_string(out_.negotiate_token_bytes) +
                "-byte Kerberos token";
    fail(errc::upstream_header_too_large, std::move(detail));
    return false;
  }

  asio::awaitable<bool> send_request() {
    auto& req = ctx_.request.get();
    // Counted per attempt: the Authorization header may have come or gone since the last one.
    fields_after_head_ = field_count(req);
    // A body read from the client on an earlier attempt is sent from the held copy.
    const bool replay = body_read_;
    bool replay_pending = replay && !held_.empty();
    req.body().data = nullptr;
    req.body().size = 0;
    req.body().more = replay ? replay_pending : !ctx_.request.is_done();

    if (!req.body().more) {  // no body to send: the whole request in one write
      auto& head = up().head_buffer();
      head.clear();
      http::append_request_head(req, head);
      if (req.chunked()) head += "0\r\n\r\n";  // an empty chunked body (a replay of one): its last chunk
      boost::system::error_code ec;
      const auto sent_now = up().write_now(head, ec);
      if (!ec && sent_now < head.size()) {  // TLS, or a full socket buffer: wait, under the deadline
        up().tcp().expires_after(ctx_.idle_timeout);
        auto [wec, n] = co_await asio::async_write(up(), asio::buffer(head) + sent_now, use_tuple);
        up().tcp().expires_never();
        ec = wec;
      }
      if (ec) {
        fail(timed_out(ec) ? errc::upstream_timeout : errc::upstream_closed,
             "sending the request head to " + ctx_.upstream.name + ": " + ec.message());
        co_return false;
      }
      co_return true;
    }
    up().tcp().expires_after(ctx_.idle_timeout);
    bhttp::serializer<true, bhttp::buffer_body> serializer{req};
    auto [ec, n] = co_await bhttp::async_write_header(up(), serializer, use_tuple);
    if (ec) {
      fail(timed_out(ec) ? errc::upstream_timeout : errc::upstream_closed,
           "sending the request head to " + ctx_.upstream.name + ": " + ec.message());
      co_return false;
    }
    if (expect_continue_ && !continue_sent_ && !ctx_.request.is_done()) {
      continue_sent_ = true;
      static constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
      beast::get_lowest_layer(ctx_.client).expires_after(ctx_.idle_timeout);
      auto [cec, cn] = co_await asio::async_write(ctx_.client, asio::buffer(continue_line), use_tuple);
      if (cec) {
        fail(errc::client_idle_timeout, "sending 100 Continue: " + cec.message());
        co_return false;
      }
    }

    const auto chunk = up().scratch(relay_chunk);  // the connection's: no 16 KiB per request
    while (!serializer.is_done()) {
      if (replay_pending) {
        replay_pending = false;
        req.body().data = held_.data();
        req.body().size = held_.size();
        req.body().more = false;
      } else if (!ctx_.request.is_done()) {
        body_read_ = true;
        req.body().data = chunk.data();
        req.body().size = chunk.size();
        beast::get_lowest_layer(ctx_.client).expires_after(ctx_.idle_timeout);
        auto [rec, rn] = co_await bhttp::async_read_some(ctx_.client, ctx_.client_buffer, ctx_.request, use_tuple);
        if (rec == bhttp::error::need_buffer) rec = {};
        if (rec) {
          fail(rec == bhttp::error::bad_chunk || rec == bhttp::error::bad_chunk_extension ? errc::bad_chunk
               : timed_out(rec)                                                            ? errc::client_idle_timeout
                                                                                           : errc::bad_request,
               "reading the request body: " + rec.message());
          co_return false;
        }
        const auto got = chunk.size() - req.body().size;
        // A read that decoded no body bytes (only a chunk-size line, say) must not reach the
        // serializer: an empty piece with more=true would be written as the terminating 0-chunk.
        if (got == 0 && !ctx_.request.is_done()) continue;
        out_.bytes_in += got;
        if (out_.bytes_in > ctx_.max_body_bytes) {
          fail(errc::body_too_large, "request body exceeds max_body_bytes " + std::to_string(ctx_.max_body_bytes));
          co_return false;
        }
        if (ctx_.request.is_done() && field_count(req) != fields_after_head_) {
          fail(errc::trailers_too_large, "request trailers are not forwarded; the request was refused");
          co_return false;
        }
        hold(std::string_view(chunk.data(), got));
        // The last chunk can arrive in a read of its own: an empty piece is passed as "no data, no
        // more" (nullptr), or Beast's chunked serializer writes the final chunk twice.
        req.body().data = got != 0 ? chunk.data() : nullptr;
        req.body().size = got;
        req.body().more = !ctx_.request.is_done();
      } else {
        req.body().data = nullptr;
        req.body().size = 0;
        req.body().more = false;
      }
      up().tcp().expires_after(ctx_.idle_timeout);
      auto [wec, wn] = co_await bhttp::async_write(up(), serializer, use_tuple);
      if (wec == bhttp::error::need_buffer) wec = {};
      if (wec) {
        fail(timed_out(wec) ? errc::upstream_timeout : errc::upstream_closed,
             "sending the request body to " + ctx_.upstream.name + ": " + wec.message());
        co_return false;
      }
    }
    up().tcp().expires_never();
    co_return true;
  }

  // Keeps a copy of the body for a retry while it stays within replay_body_limit.
  void hold(std::string_view piece) {
    if (!hold_body_ || hold_overflow_) return;
    if (held_.size() + piece.size() > replay_body_limit) {
      hold_overflow_ = true;
      std::string().swap(held_);
      return;
    }
    held_.append(piece);
  }

  asio::awaitable<void> relay_response(bool token_sent) {
    // The connection's own buffer (kept between its exchanges, empty then), so reading allocates nothing.
    auto& up_buffer = up().read_buffer();
    up_buffer.clear();
    up_buffer.max_size(static_cast<std::size_t>(ctx_.upstream.response_header_bytes) + relay_chunk);
    std::optional<response_parser> parser;
    for (int interim = 0;; ++interim) {
      parser.emplace();
      parser->header_limit(static_cast<std::uint32_t>(std::min<std::uint64_t>(ctx_.upstream.response_header_bytes, UINT32_MAX)));
      parser->body_limit(boost::none);
      if (ctx_.request.get().method() == bhttp::verb::head) parser->skip(true);
      up().tcp().expires_after(ctx_.idle_timeout);
      auto [ec, n] = co_await bhttp::async_read_header(up(), up_buffer, *parser, use_tuple);
      if (ec) {
        if (timed_out(ec)) {
          fail(errc::upstream_timeout, ctx_.upstream.name + " sent no response within the route's idle_timeout (" +
                                           std::to_string(ctx_.idle_timeout.count()) + "ms)");
        } else if (ec == bhttp::error::header_limit) {
          fail(errc::upstream_response_too_large, "response head from " + ctx_.upstream.name + " exceeds " +
                                                      std::to_string(ctx_.upstream.response_header_bytes) + " bytes");
        } else if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
                   ec == asio::error::connection_reset || ec == asio::ssl::error::stream_truncated) {
          fail(errc::upstream_closed, ctx_.upstream.name + " closed the connection: " + ec.message());
        } else {
          fail(errc::upstream_bad_response, "response from " + ctx_.upstream.name + ": " + ec.message());
        }
        co_return;
      }
      const unsigned status = parser->get().result_int();
      if (status >= 200) break;
      if (status == 101 || interim >= max_interim_responses) {
        fail(errc::upstream_bad_response, "unexpected " + std::to_string(status) + " from " + ctx_.upstream.name);
        co_return;
      }
    }

    auto& res = parser->get();
    if (ctx_.negotiate != nullptr) {
      if (res.result_int() == 401) {
        // Never forwarded: a client seeing the Negotiate/NTLM challenge would try to log on itself.
        challenged_ = true;
        co_await drop_challenge_body(*parser, up_buffer);
        co_return;
      }
      if (token_sent) {
        auto step = ctx_.negotiate->finish(negotiate_reply_token(res));
        if (step.reason != errc::ok) {
          fail(step.reason, std::move(step.detail));
          lease_.reset();  // an upstream that did not prove itself gets no further request
          co_return;
        }
      }
    }
    const auto length = parser->content_length();
    const bool upstream_chunked = parser->chunked();
    const bool until_close = !length && !upstream_chunked && !parser->is_done();
    http::rewrite_response_headers(res);
    const bool http10_client = ctx_.request.get().version() < 11;
    bool keep_alive = ctx_.client_keep_alive && !(until_close && http10_client);
    res.version(http10_client ? 10 : 11);
    if (length) {
      res.content_length(*length);
    } else if (upstream_chunked || (until_close && !http10_client)) {
      res.chunked(true);
    }
    res.keep_alive(keep_alive);
    out_.status = res.result_int();

    std::span<char> chunk;
    res.body().data = nullptr;
    res.body().size = 0;
    res.body().more = !parser->is_done();
    // A body of known length that arrived with the head leaves with it: one write, one TLS record.
    bool piece_ready = false;
    if (!parser->is_done() && length && *length <= relay_chunk && up_buffer.size() >= *length) {
      chunk = up().scratch(static_cast<std::size_t>(*length));
      res.body().data = chunk.data();
      res.body().size = chunk.size();
      beast::error_code pec;
      const auto used = parser->put(up_buffer.data(), pec);
      if (pec == bhttp::error::need_buffer) pec = {};
      if (pec) {
        fail(errc::upstream_bad_response, "reading the response body from " + ctx_.upstream.name + ": " + pec.message());
        co_return;
      }
      up_buffer.consume(used);
      const auto got = chunk.size() - res.body().size;
      out_.bytes_out += got;
      res.body().data = chunk.data();
      res.body().size = got;
      res.body().more = !parser->is_done();
      piece_ready = true;
    }
    auto& client_tcp = beast::get_lowest_layer(ctx_.client);
    if (piece_ready || parser->is_done()) {
      // The whole response is here (a HEAD, 204 or 304 response has a head only, whatever its
      // framing headers say): head and body leave in one write.
      auto& head = up().head_buffer();
      head.clear();
      http::append_response_head(res, head);
      const std::array<asio::const_buffer, 2> whole{
          asio::buffer(head), asio::buffer(chunk.data(), piece_ready ? res.body().size : 0)};
      boost::system::error_code wec;
      beast::buffers_suffix<std::array<asio::const_buffer, 2>> rest(whole);
      rest.consume(ctx_.client.write_now(rest, wec));
      // What the socket did not take now follows once it can; a write that has to wait is retried with
      // exactly the buffers write_now saw, as OpenSSL requires (hence write_some, not asio::async_write).
      while (!wec && asio::buffer_size(rest) > 0) {
        client_tcp.expires_after(ctx_.idle_timeout);
        auto [async_ec, n] = co_await ctx_.client.async_write_some(rest, use_tuple);
        wec = async_ec;
        rest.consume(n);
      }
      if (wec) {
        fail(errc::client_idle_timeout, "sending the response: " + wec.message());
        co_return;
      }
    } else {
      const bool streamed = co_await stream_response(*parser, until_close);
      if (!streamed) co_return;
    }
    client_tcp.expires_never();
    up().tcp().expires_never();
    out_.keep_alive = keep_alive;
    // Only a connection whose exchange ended exactly at a message boundary can serve another request.
    if (!until_close && parser->keep_alive() && up_buffer.size() == 0) lease_->release_reusable();
  }

  // The head first, then the body piece by piece as it arrives from the upstream (chunked towards the
  // client when its length is unknown).
  asio::awaitable<bool> stream_response(response_parser& parser, bool until_close) {
    auto& res = parser.get();
    auto& up_buffer = up().read_buffer();
    auto& client_tcp = beast::get_lowest_layer(ctx_.client);
    bhttp::serializer<false, bhttp::buffer_body> serializer{res};
    res.body().data = nullptr;
    res.body().size = 0;
    res.body().more = true;
    client_tcp.expires_after(ctx_.idle_timeout);
    auto [hec, hn] = co_await bhttp::async_write_header(ctx_.client, serializer, use_tuple);
    if (hec) {
      fail(errc::client_idle_timeout, "sending the response head: " + hec.message());
      co_return false;
    }
    std::span<char> chunk;
    while (!serializer.is_done()) {
      if (!parser.is_done()) {
        if (chunk.size() < relay_chunk) chunk = up().scratch(relay_chunk);
        res.body().data = chunk.data();
        res.body().size = chunk.size();
        up().tcp().expires_after(ctx_.idle_timeout);
        auto [rec, rn] = co_await bhttp::async_read_some(up(), up_buffer, parser, use_tuple);
        if (rec == bhttp::error::need_buffer) rec = {};
        if (until_close && (rec == bhttp::error::end_of_stream || rec == asio::error::eof)) rec = {};
        if (rec) {
          fail(timed_out(rec) ? errc::upstream_timeout : errc::upstream_bad_response,
               "reading the response body from " + ctx_.upstream.name + ": " + rec.message());
          co_return false;
        }
        const auto got = chunk.size() - res.body().size;
        if (got == 0 && !parser.is_done()) continue;  // see the request loop
        out_.bytes_out += got;
        res.body().data = got != 0 ? chunk.data() : nullptr;  // see the request loop
        res.body().size = got;
        res.body().more = !parser.is_done();
      } else {
        res.body().data = nullptr;
        res.body().size = 0;
        res.body().more = false;
      }
      client_tcp.expires_after(ctx_.idle_timeout);
      auto [wec, wn] = co_await bhttp::async_write(ctx_.client, serializer, use_tuple);
      if (wec == bhttp::error::need_buffer) wec = {};
      if (wec) {
        fail(errc::client_idle_timeout, "sending the response body: " + wec.message());
        co_return false;
      }
    }
    co_return true;
  }

  // Reads a 401's body to its end (bounded) so the connection can carry the retry; when it cannot be
  // read cleanly the connection is dropped and the retry gets a new one.
  asio::awaitable<void> drop_challenge_body(response_parser& parser, beast::flat_buffer& up_buffer) {
    const bool until_close = !parser.content_length() && !parser.chunked() && !parser.is_done();
    const auto scratch = up().scratch(relay_chunk);
    std::size_t dropped = 0;
    while (!until_close && !parser.is_done() && dropped <= challenge_body_limit) {
      parser.get().body().data = scratch.data();
      parser.get().body().size = scratch.size();
      up().tcp().expires_after(ctx_.idle_timeout);
      auto [ec, n] = co_await bhttp::async_read_some(up(), up_buffer, parser, use_tuple);
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec) break;
      dropped += scratch.size() - parser.get().body().size;
    }
    up().tcp().expires_never();
    const bool clean = !until_close && parser.is_done() && parser.keep_alive() && up_buffer.size() == 0;
    if (!clean) lease_.reset();
  }

  relay_request_context& ctx_;
  std::optional<upstream::lease> lease_;
  std::size_t fields_after_head_ = 0;
  bool expect_continue_ = false;
  bool continue_sent_ = false;
  bool hold_body_ = false;      // kerberos routes keep a small body for a retry after 401
  bool hold_overflow_ = false;  // the body outgrew replay_body_limit: not replayable
  bool body_read_ = false;      // body bytes were read from the client (a retry sends held_)
  bool challenged_ = false;     // the last response was a 401 on a kerberos route (not forwarded)
  std::string held_;
  relay_outcome out_;
};

}  // namespace

asio::awaitable<relay_outcome> relay_request(relay_request_context& ctx) {
  relay r(ctx);
  co_return co_await r.run();
}

head_size measure_request_head(const bhttp::request_header<>& head) {
  head_size size;
  // "METHOD SP target SP HTTP/1.1 CRLF", each "name: value CRLF", the final CRLF.
  size.total = head.method_string().size() + 1 + head.target().size() + 1 + 8 + 2 + 2;
  for (const auto& field : head) {
    const auto line = field.name_string().size() + 2 + field.value().size() + 2;
    size.total += line;
    if (line > size.largest_bytes) {
      size.largest_bytes = line;
      size.largest_name = std::string(field.name_string());
    }
  }
  return size;
}

bool is_activesync_route(std::string_view path_prefix) noexcept {
  constexpr std::string_view eas = "/Microsoft-Server-ActiveSync";
  return path_prefix.size() >= eas.size() && beast::iequals(path_prefix.substr(0, eas.size()), eas);
}

}  // namespace cba
