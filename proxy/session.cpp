#include "proxy/session.hpp"

#include "ldap/directory.hpp"
#include "proxy/account_policy.hpp"
#include "proxy/admin/metrics.hpp"
#include "proxy/certificate_mapping.hpp"
#include "proxy/client_stream.hpp"
#include "proxy/connection_tracker.hpp"
#include "proxy/delegated_negotiator.hpp"
#include "proxy/error_response.hpp"
#include "proxy/event_log.hpp"
#include "proxy/http/head_scanner.hpp"
#include "proxy/http/header_policy.hpp"
#include "proxy/http/path_policy.hpp"
#include "proxy/http/request_framing.hpp"
#include "proxy/http/route_table.hpp"
#include "proxy/identity.hpp"
#include "proxy/request_relay.hpp"
#include "proxy/revocation/checker.hpp"
#include "proxy/tls/certificate_policy.hpp"
#include "proxy/tls/resumption_policy.hpp"
#include "proxy/tls/upn.hpp"
#include "proxy/tls/x509_facts.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace cba {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using steady = std::chrono::steady_clock;

// Room for one request head plus one body read, so chunked trailers (which Beast 1.81 does not bound
// by header_limit) can never grow the buffer beyond this.
constexpr std::size_t body_read_slack = 64 * 1024;
constexpr std::chrono::seconds shutdown_deadline{2};
// After a refusal: how long and how much the proxy keeps reading (and discarding) before it closes.
constexpr std::chrono::seconds linger_deadline{1};
constexpr std::size_t linger_max_bytes = 4 * 1024 * 1024;
// The buffer an idle connection holds while it waits for its next request; a longer head grows it.
constexpr std::size_t idle_read_bytes = 512;

// What one request produced, for its access line.
struct request_record {
  std::uint64_t id = 0;
  steady::time_point start = steady::now();
  std::string method;
  std::string target;
  std::string route;
  std::string upstream;
  unsigned status = 0;
  errc reason = errc::ok;
  std::string detail;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::string delegated_principal;  // kerberos routes: the account the upstream saw
  unsigned upstream_auths = 0;      // Negotiate tokens sent (0: an already authenticated connection)
};

enum class head_wait { ready, idle_close, failed };

class client_session : public std::enable_shared_from_this<client_session> {
 public:
  client_session(session_services& services, listener_runtime& listener, asio::ip::tcp::socket socket,
                 std::uint64_t id)
      : s_(services),
        l_(listener),
        stream_(std::move(socket), listener.tls),
        header_timer_(stream_.get_executor()),
        id_(id),
        scanner_(http::head_limits{listener.config.limits.request_header_bytes,
                                   listener.config.limits.request_header_count}) {
    buffer_.max_size(static_cast<std::size_t>(listener.config.limits.request_header_bytes) + body_read_slack);
    beast::error_code ec;
    const auto remote = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (!ec) client_address_ = remote.address().to_string();
  }

  asio::awaitable<void> run() {
    // GCC 12 miscompiles co_await inside a condition; every awaited value is named first.
    const bool handshake_ok = co_await handshake();
    if (!handshake_ok) co_return;
    tls::resumption_policy::release_handshake_state(stream_.native_handle());
    co_await check_revocation();
    if (!revocation_refused_) co_await resolve_identity();
    schedule_recheck();
    while (!s_.connections.draining()) {
      const bool arrived = co_await await_request();
      if (!arrived) break;
      const bool keep_going = co_await serve_request();
      if (!keep_going) break;
    }
    co_await close();
  }

  // Closes the socket from any thread; the session's pending operation then fails and it ends.
  // Holds only a weak reference: a closer that runs after the session ended does nothing.
  std::function<void()> closer() {
    return [ex = stream_.get_executor(), weak = weak_from_this()] {
      asio::post(ex, [weak] {
        if (auto self = weak.lock()) {
          beast::error_code ignored;
          beast::get_lowest_layer(self->stream_).socket().close(ignored);
        }
      });
    };
  }

 private:
  asio::awaitable<bool> handshake() {
    SSL* ssl = stream_.native_handle();
    tls::certificate_policy::attach(ssl, &verdict_);
    auto& tcp = beast::get_lowest_layer(stream_);
    tcp.expires_after(l_.config.limits.handshake_timeout);
    auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::server, use_tuple);
    tcp.expires_never();
    if (const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) sni_ = name;
    if (!ec && tls::resumption_policy::certificate_request_skipped(ssl)) {
      verdict_ = tls::peer_verdict{errc::handshake_failed,
                                   "an accepted session ticket did not resume, and no client certificate was requested",
                                   false};
    }
    // Success with no_client_certificate happens only under client_certificate: optional; any other
    // verdict with a completed handshake would be a bug in the callback, so it is refused too.
    const bool verified = verdict_.reason == errc::ok || verdict_.reason == errc::no_client_certificate;
    if (!ec && verified) {
      s_.metrics.handshakes_ok.fetch_add(1, std::memory_order_relaxed);
      if (SSL_session_reused(ssl) == 1) s_.metrics.handshakes_resumed.fetch_add(1, std::memory_order_relaxed);
      if (auto why = tls::resumption_policy::refused_ticket_reason(ssl); !why.empty()) {
        s_.log.event(config::log_level::debug, "ticket_not_resumed",
                     json_line{}.add("connection", id_).add("listener", l_.config.name).add("detail", why));
      }
      co_return true;
    }
    errc reason = ec ? tls::certificate_policy::handshake_failure_reason(verdict_, ec) : verdict_.reason;
    if (ec == beast::error::timeout) reason = errc::handshake_timeout;
    std::string detail = verdict_.detail;
    if (detail.empty() && ec) detail = ec.message();
    s_.metrics.count_refusal(reason);
    json_line line;
    line.add("time", now_rfc3339())
        .add("type", "handshake")
        .add("connection", id_)
        .add("listener", l_.config.name)
        .add("client", client_address_)
        .add_if("sni", sni_)
        .add("status", "refused")
        .add("reason", reason_code(reason))
        .add_if("detail", detail);
    s_.log.access(std::move(line));
    co_return false;
  }

  // trust.revocation: the verified chain's status, asked once the handshake succeeded (never inside
  // it: answers may need the network). A refusal is answered on the first request with 403 and the
  // reason, whatever the route; the directory is not asked. Unknown under soft is logged and admitted.
  asio::awaitable<void> check_revocation() {
    if (s_.revocation == nullptr || !s_.revocation->enabled()) co_return;
    SSL* ssl = stream_.native_handle();
    X509* leaf = SSL_get0_peer_certificate(ssl);
    // A resumed connection is checked too, over the chain its ticket carries: a certificate revoked
    // after the ticket was issued must not ride on it until the next re-check.
    auto chain = tls::resumption_policy::verified_chain(ssl);
    if (leaf == nullptr || chain.empty()) co_return;  // no certificate (client_certificate: optional)
    auto verdict = co_await s_.revocation->check(std::move(chain));
    if (verdict.status == revocation::revocation_status::good) co_return;
    const bool admitted = verdict.admitted();
    s_.log.event(config::log_level::warn, admitted ? "revocation_unknown_admitted" : "revocation_refused",
                 json_line{}
                     .add("connection", id_)
                     .add("status", revocation::status_name(verdict.status))
                     .add("reason", reason_code(verdict.reason))
                     .add_if("source", verdict.source)
                     .add("age_s", static_cast<std::int64_t>(verdict.age.count()))
                     .add("detail", verdict.detail));
    if (admitted) co_return;
    revocation_refused_ = true;
    identity_error_ = verdict.reason;
    identity_detail_ = verdict.detail;
    client_identity identity;
    identity.certificate = tls::describe_certificate(leaf);
    identity_ = std::move(identity);
  }

  // The identity is decided once per connection: the certificate cannot change within it.
  asio::awaitable<void> resolve_identity() {
    X509* leaf = SSL_get0_peer_certificate(stream_.native_handle());
    if (leaf == nullptr) {
      identity_error_ = errc::no_client_certificate;  // only reachable with client_certificate: optional
      co_return;
    }
    client_identity identity;
    identity.certificate = tls::describe_certificate(leaf);
    auto selection = tls::select_upn(leaf, s_.config.identity);
    if (selection.reason != errc::ok) {
      identity_error_ = selection.reason;
      identity_detail_ = selection.detail;
      identity_ = std::move(identity);
      co_return;
    }
    identity.upn = selection.upn;
    s_.metrics.directory_lookups.fetch_add(1, std::memory_order_relaxed);
    auto found = co_await s_.directory.lookup(identity.upn);
    if (!found) {
      const auto ec = found.error();
      if (ec == ldap::errc::not_found) {
        identity_error_ = errc::account_unknown;
      } else if (ec == ldap::errc::ambiguous) {
        identity_error_ = errc::account_ambiguous;
      } else {
        identity_error_ = errc::directory_unavailable;
      }
      identity_detail_ = "directory lookup of '" + identity.upn + "': " + ec.message();
      identity_ = std::move(identity);
      co_return;
    }
    identity_error_ = check_account(*found, s_.config.directory, std::chrono::system_clock::now());
    if (identity_error_ != errc::ok) {
      identity_detail_ = "account " + found->sam_account_name + " (" + identity.upn + ")";
    } else {
      const auto mode = s_.config.directory.certificate_mapping;
      mapping_ = decide_mapping(read_mapping_facts(leaf), *found, mode);
      identity_error_ = mapping_.reason;
      if (mapping_.reason != errc::ok) {
        identity_detail_ = mapping_.detail + " (certificate_mapping: " + std::string(mapping_mode_name(mode)) + ")";
      } else if (mapping_.warning) {
        // Once per connection here; every request on it carries "mapping_warning" in its access line.
        s_.log.event(config::log_level::warn, "weak_certificate_mapping",
                     json_line{}
                         .add("connection", id_)
                         .add("upn", identity.upn)
                         .add("account", found->sam_account_name)
                         .add("mapping", mapping_.kind)
                         .add("detail", mapping_.detail));
      }
    }
    identity.account = std::move(*found);
    identity_ = std::move(identity);
    compact_identity();
  }

  // The identity is held for the connection's lifetime, idle or not: keep only what requests, access
  // lines and re-checks read (template fields, account key), without the slack string growth left.
  void compact_identity() {
    if (!identity_) return;
    auto& cert = identity_->certificate;
    // The whole certificate again (1-2 KiB of base64), kept only when a header template sends it.
    if (!s_.headers.renders(http::identity_field::cert_rfc9440)) std::string().swap(cert.rfc9440);
    for (auto* s : {&cert.sha256_hex, &cert.subject, &cert.issuer, &cert.serial_hex, &cert.rfc9440, &cert.subject_cn,
                    &identity_->upn}) {
      s->shrink_to_fit();
    }
    std::vector<std::string>().swap(cert.san_upns);  // read by UPN selection, done
    if (auto& account = identity_->account) {
      for (auto* s : {&account->upn, &account->sam_account_name, &account->sid, &account->dn}) s->shrink_to_fit();
      std::vector<std::string>().swap(account->alt_security_identities);  // read by the mapping, done
      std::vector<std::string>().swap(account->member_of);                // never read per request
    }
  }

  // The identity is due again trust.recheck_interval after its certificate was verified (for a resumed
  // session: by the full handshake its ticket came from), so revocation and account state never get
  // older than that on a long-lived connection.
  void schedule_recheck() {
    const auto interval = std::chrono::duration_cast<steady::duration>(s_.config.trust.recheck_interval);
    auto age = steady::duration::zero();
    if (auto verified = tls::resumption_policy::verified_at(stream_.native_handle())) {
      age = std::clamp(std::chrono::duration_cast<steady::duration>(std::chrono::system_clock::now() - *verified),
                       steady::duration::zero(), interval);
    }
    recheck_at_ = steady::now() + (interval - age);
  }

  // The whole identity decision again (directory lookup, account checks, mapping). Refusals keep
  // their own 403 reason (account_disabled...); the certificate now naming another account, or no
  // answer at all (directory down), is identity_recheck_failed: a connection is never kept on an
  // identity that cannot be confirmed.
  asio::awaitable<void> recheck_identity() {
    const auto account_key = [](const std::optional<client_identity>& id) {
      if (!id || !id->account) return std::string();
      return id->account->sid.empty() ? id->account->dn : id->account->sid;
    };
    const std::string before = account_key(identity_);
    // Revocation first, over the chain the connection was verified with (from the ticket when resumed).
    bool revoked = false;
    if (s_.revocation != nullptr && s_.revocation->enabled()) {
      auto chain = tls::resumption_policy::verified_chain(stream_.native_handle());
      if (!chain.empty()) {
        const auto verdict = co_await s_.revocation->check(std::move(chain));
        if (!verdict.admitted()) {
          revoked = true;
          identity_error_ = verdict.reason;
          identity_detail_ = verdict.detail;
        }
      }
    }
    if (!revoked) co_await resolve_identity();
    const std::string after = revoked ? before : account_key(identity_);
    if (identity_error_ == errc::ok && before != after) {
      identity_error_ = errc::identity_recheck_failed;
      identity_detail_ = "the certificate now maps to another account (" + before + " -> " + after + ")";
    } else if (identity_error_ != errc::ok && to_http_status(identity_error_) != 403) {
      identity_detail_ = std::string(reason_code(identity_error_)) + ": " + identity_detail_;
      identity_error_ = errc::identity_recheck_failed;
    }
    if (identity_error_ != errc::ok) identity_detail_ = "re-check after trust.recheck_interval: " + identity_detail_;
    s_.log.event(identity_error_ == errc::ok ? config::log_level::debug : config::log_level::warn, "identity_rechecked",
                 json_line{}
                     .add("connection", id_)
                     .add("status", identity_error_ == errc::ok ? "ok" : "refused")
                     .add("reason", reason_code(identity_error_))
                     .add_if("detail", identity_error_ == errc::ok ? std::string() : identity_detail_));
    recheck_at_ = steady::now() + std::chrono::duration_cast<steady::duration>(s_.config.trust.recheck_interval);
  }

  // Waits for the first bytes of the next request with only this small frame alive and no buffer
  // until they are readable: an idle keep-alive connection holds neither serve_request's frame nor a
  // request buffer (only the stream's fixed 512-byte inbox, which the wait receives into).
  // false: the client ended the connection or stayed silent past its deadline (a quiet close).
  asio::awaitable<bool> await_request() {
    if (buffer_.size() > 0) co_return true;  // pipelined bytes of the next request
    buffer_.shrink_to_fit();                 // empty: frees what the last request grew
    s_.connections.set_busy(id_, false);
    auto& tcp = beast::get_lowest_layer(stream_);
    tcp.expires_after(request_seq_ == 0 ? l_.config.limits.header_timeout : l_.config.limits.idle_timeout);
    auto [wait_ec] = co_await stream_.async_wait_readable(use_tuple);  // no request buffer held while idle
    if (wait_ec) {
      tcp.expires_never();
      co_return false;
    }
    boost::system::error_code ec;
    auto n = stream_.read_now(buffer_.prepare(idle_read_bytes), ec);
    if (n == 0 && !ec) {  // readable, but no whole record yet
      auto [read_ec, read_n] = co_await stream_.async_read_some(buffer_.prepare(idle_read_bytes), use_tuple);
      ec = read_ec;
      n = read_n;
    }
    buffer_.commit(n);
    tcp.expires_never();
    co_return !ec;
  }

  // Reads until the buffer holds one complete request head, or decides why it never will.
  asio::awaitable<head_wait> read_head(request_record& record) {
    auto& tcp = beast::get_lowest_layer(stream_);
    const auto& limits = l_.config.limits;
    scanner_.reset();
    std::optional<steady::time_point> head_deadline;
    for (;;) {
      const auto view = std::string_view(static_cast<const char*>(buffer_.data().data()), buffer_.size());
      auto scan = scanner_.scan(view);
      if (scan.st == http::head_scan::state::complete) {
        disarm_header_deadline();
        head_bytes_ = scan.head_bytes;
        co_return head_wait::ready;
      }
      if (scan.st == http::head_scan::state::error) {
        disarm_header_deadline();
        record.reason = scan.reason;
        record.detail = scan.detail;
        co_return head_wait::failed;
      }
      if (buffer_.size() > 0 && !head_deadline) {
        // Beast's own expiry closes the socket, which would leave no way to answer 408; this deadline
        // only cancels the read.
        head_deadline = steady::now() + limits.header_timeout;
        tcp.expires_never();
        arm_header_deadline(*head_deadline);
      } else if (!head_deadline) {
        tcp.expires_after(request_seq_ == 0 ? limits.header_timeout : limits.idle_timeout);
      }
      s_.connections.set_busy(id_, buffer_.size() > 0);
      const auto room = std::min<std::size_t>(16 * 1024, buffer_.max_size() - buffer_.size());
      auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(room), use_tuple);
      buffer_.commit(n);
      if (!ec) continue;
      tcp.expires_never();
      const bool head_timed_out = header_timed_out_;
      disarm_header_deadline();
      if (buffer_.size() == 0) co_return head_wait::idle_close;  // a quiet keep-alive end
      if (head_timed_out) {
        record.reason = errc::header_timeout;
        record.detail = "request head incomplete after " + std::to_string(limits.header_timeout.count()) + "ms";
        co_return head_wait::failed;
      }
      co_return head_wait::idle_close;  // the client went away mid-head: nobody to answer
    }
  }

  void arm_header_deadline(steady::time_point deadline) {
    header_timed_out_ = false;
    header_timer_.expires_at(deadline);
    header_timer_.async_wait([weak = weak_from_this(), generation = ++header_timer_generation_](beast::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->header_timer_generation_ != generation) return;
      self->header_timed_out_ = true;
      beast::error_code ignored;
      beast::get_lowest_layer(self->stream_).socket().cancel(ignored);
    });
  }

  void disarm_header_deadline() {
    ++header_timer_generation_;  // a handler already queued sees a newer generation and does nothing
    header_timer_.cancel();
  }

  asio::awaitable<bool> serve_request() {
    request_record record;
    record.id = ++request_seq_;
    const auto wait = co_await read_head(record);
    if (wait == head_wait::idle_close) co_return false;
    s_.connections.set_busy(id_, true);
    if (wait == head_wait::failed) {
      co_await refuse(record);
      co_return false;
    }

    request_parser parser;
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::uint64_t>(l_.config.limits.request_header_bytes + 1, UINT32_MAX)));
    parser.body_limit(boost::none);  // max_body_bytes is counted by the relay, per route
    beast::error_code ec;
    const auto used = parser.put(asio::buffer(buffer_.data().data(), head_bytes_), ec);
    if (ec || !parser.is_header_done()) {
      record.reason = errc::bad_request;
      record.detail = "request head: " + (ec ? ec.message() : std::string("incomplete"));
      co_await refuse(record);
      co_return false;
    }
    buffer_.consume(used);
    auto& req = parser.get();
    record.method = std::string(req.method_string());
    record.target = std::string(req.target());

    if (auto framing = http::check_request_framing(req); framing.reason != errc::ok) {
      record.reason = framing.reason;
      record.detail = framing.detail;
      co_await refuse(record);
      co_return false;
    }
    if (auto path = http::check_request_path(req.target()); path.reason != errc::ok) {
      record.reason = path.reason;
      record.detail = path.detail;
      co_await refuse(record);
      co_return false;
    }
    const config::route_config* route = s_.routes.match(req.target());
    if (route == nullptr) {
      record.reason = errc::no_route;
      record.detail = "no route for this path";
      co_await refuse(record);
      co_return false;
    }
    record.route = route->path_prefix;
    const auto& upstream_cfg = s_.config.upstreams.at(route->upstream_index);
    record.upstream = upstream_cfg.name;

    if (revocation_refused_) {  // every route: the certificate itself is refused
      record.reason = identity_error_;
      record.detail = identity_detail_;
      co_await refuse(record);
      co_return false;
    }
    const bool needs_identity = route->auth != config::route_auth::none;
    if (needs_identity && identity_error_ == errc::ok && identity_ && steady::now() >= recheck_at_) {
      co_await recheck_identity();
    }
    if (needs_identity && identity_error_ != errc::ok) {
      record.reason = identity_error_;
      record.detail = identity_detail_;
      co_await refuse(record);
      co_return false;
    }
    const std::uint64_t max_body = route->max_body_bytes.value_or(config::default_max_body_bytes);
    if (auto length = parser.content_length(); length && *length > max_body) {
      record.reason = errc::body_too_large;
      record.detail = "Content-Length " + std::to_string(*length) + " > max_body_bytes " + std::to_string(max_body);
      co_await refuse(record);
      co_return false;
    }

    const bool client_keep_alive = req.keep_alive() && !s_.connections.draining();
    http::forwarding_facts facts{route->auth, needs_identity && identity_ ? &*identity_ : nullptr,
                                 client_address_};
    s_.headers.rewrite_for_upstream(req, facts);

    // Kerberos: upstream connections are bound to the account (pool key: its SID, never ""), the
    // upstream sees sAMAccountName@REALM.
    std::string identity_key;
    std::optional<delegated_negotiator> negotiator;
    if (route->auth == config::route_auth::kerberos) {
      if (s_.delegation == nullptr || !s_.config.kerberos || !identity_ || !identity_->account) {
        record.reason = errc::delegation_not_allowed;
        record.detail = "auth: kerberos route without a kerberos service or a directory account";
        co_await refuse(record);
        co_return false;
      }
      const auto& account = *identity_->account;
      record.delegated_principal = delegated_principal(account.sam_account_name, s_.config.kerberos->principal);
      identity_key = account.sid.empty() ? "principal:" + record.delegated_principal : account.sid;
      negotiator.emplace(*s_.delegation, record.delegated_principal, route->service_principal,
                         s_.config.kerberos->channel_binding, stream_.get_executor());
    }
    relay_request_context ctx{stream_,
                              buffer_,
                              parser,
                              *route,
                              upstream_cfg,
                              *s_.pools.at(route->upstream_index),
                              std::move(identity_key),
                              route->idle_timeout.value_or(l_.config.limits.idle_timeout),
                              max_body,
                              client_keep_alive,
                              s_.metrics,
                              negotiator ? &*negotiator : nullptr};
    auto outcome = co_await relay_request(ctx);
    record.bytes_in = outcome.bytes_in;
    record.bytes_out = outcome.bytes_out;
    record.upstream_auths = outcome.upstream_auths;
    if (outcome.upstream_auths > 0) {
      // Exchange (HTTP.sys) refuses heads over 16 KiB by default; a large PAC makes a large token.
      s_.log.event(config::log_level::debug, "upstream_negotiate",
                   json_line{}
                       .add("connection", id_)
                       .add("request", record.id)
                       .add("principal", record.delegated_principal)
                       .add("service_principal", route->service_principal)
                       .add("token_base64_bytes", static_cast<std::uint64_t>(outcome.negotiate_token_bytes))
                       .add("ticket_cached", negotiator->last_from_cache())
                       .add("channel_bound", negotiator->last_channel_bound())
                       .add("upstream_401s", outcome.upstream_401s));
    }
    if (outcome.reason != errc::ok && outcome.status == 0) {
      record.status = outcome.refusal_status;  // 0: the reason's own status
      record.reason = outcome.reason;
      record.detail = outcome.detail;
      co_await refuse(record);
      co_return false;
    }
    record.status = outcome.status;
    record.reason = outcome.reason;
    record.detail = outcome.detail;
    finish(record);
    s_.connections.set_busy(id_, false);
    co_return outcome.reason == errc::ok && outcome.keep_alive;
  }

  // Answers a refused request (status from the reason), logs it, and leaves the connection to close.
  asio::awaitable<void> refuse(request_record& record) {
    if (record.status == 0) record.status = to_http_status(record.reason);
    auto response = make_error_response(record.reason, record.status, record.detail);
    auto& tcp = beast::get_lowest_layer(stream_);
    tcp.expires_after(l_.config.limits.header_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream_, response, use_tuple);
    tcp.expires_never();
    linger_ = !ec;
    record.bytes_out = response.body().size();
    finish(record);
  }

  void finish(const request_record& record) {
    s_.metrics.requests.fetch_add(1, std::memory_order_relaxed);
    s_.metrics.count_status(record.status);
    if (record.reason != errc::ok) s_.metrics.count_refusal(record.reason);
    s_.metrics.bytes_from_clients.fetch_add(record.bytes_in, std::memory_order_relaxed);
    s_.metrics.bytes_to_clients.fetch_add(record.bytes_out, std::memory_order_relaxed);
    if (!s_.log.access_enabled()) return;  // log.access.path: off: no line to build
    const auto elapsed = std::chrono::duration<double, std::milli>(steady::now() - record.start).count();
    json_line line;
    line.add("time", now_rfc3339())
        .add("type", "request")
        .add("connection", id_)
        .add("request", record.id)
        .add("listener", l_.config.name)
        .add("client", client_address_)
        .add_if("sni", sni_);
    if (identity_) {
      const auto& cert = identity_->certificate;
      line.add("cert_sha256", cert.sha256_hex)
          .add("cert_issuer", cert.issuer)
          .add("cert_serial", cert.serial_hex)
          .add_if("upn", identity_->upn);
      if (identity_->account) {
        line.add("account", identity_->account->sam_account_name).add_if("sid", identity_->account->sid);
        line.add_if("mapping", mapping_.kind);
        if (mapping_.warning)
          line.add("mapping_warning", "weak certificate mapping admitted by certificate_mapping: compatibility");
      }
    }
    line.add_if("method", record.method)
        .add_if("target", record.target)
        .add_if("route", record.route)
        .add_if("upstream", record.upstream)
        .add_if("delegated_principal", record.delegated_principal);
    if (!record.delegated_principal.empty())
      line.add("upstream_auth", record.upstream_auths > 0 ? "new" : record.reason == errc::ok ? "reused" : "none");
    line
        .add("status", record.status)
        .add("bytes_in", record.bytes_in)
        .add("bytes_out", record.bytes_out)
        .add("duration_ms", elapsed);
    if (record.reason != errc::ok) line.add("reason", reason_code(record.reason)).add_if("detail", record.detail);
    s_.log.access(std::move(line));
  }

  asio::awaitable<void> close() {
    auto& tcp = beast::get_lowest_layer(stream_);
    if (linger_ && tcp.socket().is_open()) {
      // A refused client may still be sending (a body we will not read). Closing with unread bytes
      // would reset the connection and could destroy the response before the client reads it, so
      // read and discard for a bounded time first.
      std::array<char, 16 * 1024> scratch;
      std::size_t discarded = 0;
      tcp.expires_after(linger_deadline);
      while (discarded < linger_max_bytes) {
        auto [ec, n] = co_await stream_.async_read_some(asio::buffer(scratch), use_tuple);
        if (ec) break;
        discarded += n;
      }
      beast::error_code ignored;
      tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      tcp.socket().close(ignored);
      co_return;
    }
    if (tcp.socket().is_open()) {
      tcp.expires_after(shutdown_deadline);
      co_await stream_.async_shutdown(use_tuple);
      beast::error_code ignored;
      tcp.socket().close(ignored);
    }
  }

  session_services& s_;
  listener_runtime& l_;
  client_stream stream_;
  asio::steady_timer header_timer_;
  std::uint64_t header_timer_generation_ = 0;
  bool header_timed_out_ = false;
  beast::flat_buffer buffer_;
  std::uint64_t id_;
  std::uint64_t request_seq_ = 0;
  http::head_scanner scanner_;
  std::size_t head_bytes_ = 0;
  bool linger_ = false;
  std::string client_address_;
  std::string sni_;
  tls::peer_verdict verdict_;
  std::optional<client_identity> identity_;
  mapping_decision mapping_;  // set with the account; kind empty until then
  errc identity_error_ = errc::ok;
  std::string identity_detail_;
  bool revocation_refused_ = false;  // the chain is revoked, or unknown under mode hard
  steady::time_point recheck_at_ = steady::time_point::max();
};

}  // namespace

asio::awaitable<void> run_session(session_services& services, listener_runtime& listener,
                                  asio::ip::tcp::socket socket, std::uint64_t connection_id) {
  services.metrics.connections_active.fetch_add(1, std::memory_order_relaxed);
  {
    auto session = std::make_shared<client_session>(services, listener, std::move(socket), connection_id);
    services.connections.add(connection_id, session->closer());
    co_await session->run();
    services.connections.remove(connection_id);
  }
  services.metrics.connections_active.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace cba
