#include "proxy/request_relay.hpp"

#include "proxy/admin/metrics.hpp"
#include "proxy/http/header_policy.hpp"
#include "proxy/upstream/pool.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <array>

namespace cba {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

using response_parser = bhttp::response_parser<bhttp::buffer_body>;

// Body bytes move in pieces of this size; memory per relayed request is bounded by it.
constexpr std::size_t relay_chunk = 16 * 1024;
constexpr int max_interim_responses = 8;

bool timed_out(const beast::error_code& ec) { return ec == beast::error::timeout; }

// Counts the fields of a header so trailers (which Beast appends to the header) can be detected.
std::size_t field_count(const bhttp::fields& fields) {
  return static_cast<std::size_t>(std::distance(fields.begin(), fields.end()));
}

class relay {
 public:
  explicit relay(relay_request_context& ctx) : ctx_(ctx) {}

  asio::awaitable<relay_outcome> run() {
    auto& req = ctx_.request.get();
    const bool expect_continue = beast::iequals(req[bhttp::field::expect], "100-continue");
    // The proxy answers 100-continue itself once the upstream is reachable; the upstream gets the body
    // without waiting, so it needs no Expect.
    req.erase(bhttp::field::expect);
    req.version(11);
    req.keep_alive(true);
    fields_after_head_ = field_count(req);

    // A pooled connection the upstream closed just as we picked it fails before any response byte;
    // a request without a body is then sent once more on a fresh connection.
    const bool replayable = ctx_.request.is_done();
    for (int attempt = 0;; ++attempt) {
      auto leased = co_await ctx_.pool.acquire(ctx_.identity_key, ctx_.client.get_executor());
      if (!leased) {
        out_.reason = static_cast<errc>(leased.error().code.value());
        if (leased.error().code.category() != proxy_category()) out_.reason = errc::upstream_connect_failed;
        out_.detail = leased.error().detail;
        co_return out_;
      }
      lease_.emplace(std::move(*leased));
      out_.upstream_reused = lease_->reused();

      const bool sent = co_await send_request(expect_continue);
      if (sent) co_await relay_response();
      const bool retry = attempt == 0 && replayable && out_.upstream_reused && out_.status == 0 &&
                         out_.reason == errc::upstream_closed;
      if (!retry) co_return out_;
      lease_.reset();
      out_ = relay_outcome{};
    }
  }

 private:
  upstream::upstream_stream& up() { return lease_->stream(); }

  void fail(errc reason, std::string detail) {
    out_.reason = reason;
    out_.detail = std::move(detail);
  }

  asio::awaitable<bool> send_request(bool expect_continue) {
    auto& req = ctx_.request.get();
    bhttp::serializer<true, bhttp::buffer_body> serializer{req};
    req.body().data = nullptr;
    req.body().size = 0;
    req.body().more = !ctx_.request.is_done();

    up().tcp().expires_after(ctx_.idle_timeout);
    auto [ec, n] = co_await bhttp::async_write_header(up(), serializer, use_tuple);
    if (ec) {
      fail(timed_out(ec) ? errc::upstream_timeout : errc::upstream_closed,
           "sending the request head to " + ctx_.upstream.name + ": " + ec.message());
      co_return false;
    }
    if (expect_continue && !ctx_.request.is_done()) {
      static constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
      beast::get_lowest_layer(ctx_.client).expires_after(ctx_.idle_timeout);
      auto [cec, cn] = co_await asio::async_write(ctx_.client, asio::buffer(continue_line), use_tuple);
      if (cec) {
        fail(errc::client_idle_timeout, "sending 100 Continue: " + cec.message());
        co_return false;
      }
    }

    std::array<char, relay_chunk> chunk;
    while (!serializer.is_done()) {
      if (!ctx_.request.is_done()) {
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
        req.body().data = chunk.data();
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

  asio::awaitable<void> relay_response() {
    beast::flat_buffer up_buffer;
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
                   ec == asio::error::connection_reset) {
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

    bhttp::serializer<false, bhttp::buffer_body> serializer{res};
    res.body().data = nullptr;
    res.body().size = 0;
    res.body().more = !parser->is_done();
    auto& client_tcp = beast::get_lowest_layer(ctx_.client);
    client_tcp.expires_after(ctx_.idle_timeout);
    auto [hec, hn] = co_await bhttp::async_write_header(ctx_.client, serializer, use_tuple);
    if (hec) {
      fail(errc::client_idle_timeout, "sending the response head: " + hec.message());
      co_return;
    }

    std::array<char, relay_chunk> chunk;
    while (!serializer.is_done()) {
      if (!parser->is_done()) {
        res.body().data = chunk.data();
        res.body().size = chunk.size();
        up().tcp().expires_after(ctx_.idle_timeout);
        auto [rec, rn] = co_await bhttp::async_read_some(up(), up_buffer, *parser, use_tuple);
        if (rec == bhttp::error::need_buffer) rec = {};
        if (until_close && (rec == bhttp::error::end_of_stream || rec == asio::error::eof)) rec = {};
        if (rec) {
          fail(timed_out(rec) ? errc::upstream_timeout : errc::upstream_bad_response,
               "reading the response body from " + ctx_.upstream.name + ": " + rec.message());
          co_return;
        }
        const auto got = chunk.size() - res.body().size;
        if (got == 0 && !parser->is_done()) continue;  // see the request loop
        out_.bytes_out += got;
        res.body().data = chunk.data();
        res.body().size = got;
        res.body().more = !parser->is_done();
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
        co_return;
      }
    }
    client_tcp.expires_never();
    up().tcp().expires_never();
    out_.keep_alive = keep_alive;
    // Only a connection whose exchange ended exactly at a message boundary can serve another request.
    if (!until_close && parser->keep_alive() && up_buffer.size() == 0) lease_->release_reusable();
  }

  relay_request_context& ctx_;
  std::optional<upstream::lease> lease_;
  std::size_t fields_after_head_ = 0;
  relay_outcome out_;
};

}  // namespace

asio::awaitable<relay_outcome> relay_request(relay_request_context& ctx) {
  relay r(ctx);
  co_return co_await r.run();
}

}  // namespace cba
