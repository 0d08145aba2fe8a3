// Kerberos constrained delegation against the Samba AD lab's KDC (fixture `lab`): S4U2Self +
// S4U2Proxy for real accounts, accepted by the project's own acceptor with the EXCHANGE$ keytab.
#include "proxy/auth/channel_binding.hpp"
#include "proxy/auth/delegation_service.hpp"
#include "proxy/auth/krb5_environment.hpp"
#include "proxy/tls/ossl.hpp"
#include "tests/auth/test_acceptor.hpp"
#include "tests/ldap/lab_env.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <openssl/pem.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
using cba::errc;
using cba::auth::delegation_service;
using cba::auth::start_result;
using clock_type = std::chrono::steady_clock;

const cba::test::lab_env& lab() { return cba::test::lab_env::get(); }

std::string principal(const std::string& user) { return user + "@" + lab().at("LAB_REALM"); }
std::string exchange_spn() { return lab().at("LAB_HTTP_SPN"); }

// The lab's service account; KRB5_CONFIG set before any krb5 thread exists (see krb5_environment.hpp).
cba::config::kerberos_config lab_kerberos(std::uint64_t max_entries = 100,
                                          std::chrono::milliseconds refresh = std::chrono::minutes(5)) {
  cba::config::kerberos_config k;
  k.principal = lab().at("LAB_SVC_PRINCIPAL");
  k.keytab = lab().at("LAB_SVC_KEYTAB");
  k.krb5_conf = lab().at("LAB_KRB5_CONFIG");
  k.ticket_cache.max_entries = max_entries;
  k.ticket_cache.refresh_before_expiry = refresh;
  cba::auth::use_krb5_config(k.krb5_conf);
  return k;
}

struct start_record {
  std::optional<start_result> result;
  std::thread::id resumed_on;
};

asio::awaitable<void> start_into(delegation_service& svc, std::string user, std::string spn,
                                 std::optional<std::string> binding, start_record& out) {
  const auto ex = co_await asio::this_coro::executor;
  auto r = co_await svc.async_start(std::move(user), std::move(spn), std::move(binding), ex, asio::use_awaitable);
  out.resumed_on = std::this_thread::get_id();
  out.result.emplace(std::move(r));
}

// Starts all (user, spn) pairs at once on one io_context run by this thread.
std::vector<start_record> start_all(delegation_service& svc, const std::vector<std::pair<std::string, std::string>>& what,
                                    const std::optional<std::string>& binding = std::nullopt) {
  asio::io_context io;
  std::vector<start_record> out(what.size());
  for (std::size_t i = 0; i < what.size(); ++i) {
    asio::co_spawn(io, start_into(svc, what[i].first, what[i].second, binding, out[i]), asio::detached);
  }
  io.run();
  return out;
}

start_result start_now(delegation_service& svc, const std::string& user, const std::string& spn,
                       const std::optional<std::string>& binding = std::nullopt) {
  auto all = start_all(svc, {{user, spn}}, binding);
  REQUIRE(all[0].result.has_value());
  REQUIRE(all[0].resumed_on == std::this_thread::get_id());  // completion on the caller's executor
  return std::move(*all[0].result);
}

const cba::test::test_acceptor& exchange_acceptor() {
  static const cba::test::test_acceptor acceptor(lab().at("LAB_HTTP_KEYTAB"));
  return acceptor;
}

std::string corrupt(const std::string& token_base64) {
  std::string raw = cba::test::base64_decode(token_base64);
  raw[raw.size() - 6] = static_cast<char>(raw[raw.size() - 6] ^ 0x5a);  // inside the encrypted AP-REP part
  return cba::test::base64_encode(raw);
}

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

}  // namespace

TEST_CASE("alice's delegated token is accepted as alice by the EXCHANGE keytab - the reply verifies", "[lab]") {
  delegation_service svc(lab_kerberos());
  auto r = start_now(svc, principal("alice"), exchange_spn());
  INFO((r ? std::string() : r.error().detail));
  REQUIRE(r.has_value());
  CHECK(r->authorization().rfind("Negotiate ", 0) == 0);
  CHECK(r->token_bytes() > 0);
  CHECK_FALSE(r->from_cache());
  CHECK_FALSE(r->channel_bound());

  const auto accepted = exchange_acceptor().accept(r->authorization(), std::nullopt);
  INFO(accepted.detail);
  REQUIRE(accepted.accepted());
  CHECK(accepted.source_name == "alice@EXAMPLE.TEST");
  CHECK_FALSE(accepted.delegated);  // no forwarded TGT: constrained delegation stops here
  REQUIRE_FALSE(accepted.reply_base64.empty());

  const auto verified = r->verify_reply("Negotiate " + accepted.reply_base64);
  INFO(verified.detail);
  CHECK_FALSE(verified.code);
  CHECK(r->established());
  const auto again = r->verify_reply("Negotiate " + accepted.reply_base64);
  CHECK(again.code == errc::mutual_auth_failed);  // a context verifies once

  const auto s = svc.stats();
  CHECK(s.kdc_exchanges == 1);
  CHECK(s.cache_misses == 1);
  CHECK(s.failures == 0);
  CHECK(s.service_credential_acquisitions == 1);
}

TEST_CASE("a corrupted or missing mutual-authentication token is mutual_auth_failed", "[lab]") {
  delegation_service svc(lab_kerberos());
  std::vector<std::string> replies_to_try;
  SECTION("corrupted token") { replies_to_try = {"corrupt"}; }
  SECTION("not Negotiate / no token / bad base64") { replies_to_try = {"Basic abc", "Negotiate", "Negotiate !!!!"}; }
  for (const auto& reply : replies_to_try) {
    auto r = start_now(svc, principal("alice"), exchange_spn());
    REQUIRE(r.has_value());
    const auto accepted = exchange_acceptor().accept(r->authorization(), std::nullopt);
    REQUIRE(accepted.accepted());
    const std::string value = reply == "corrupt" ? "Negotiate " + corrupt(accepted.reply_base64) : reply;
    const auto e = r->verify_reply(value);
    INFO(value << " -> " << e.detail);
    CHECK(e.code == errc::mutual_auth_failed);
    CHECK_FALSE(e.detail.empty());
    CHECK_FALSE(r->established());
  }
}

TEST_CASE("a reply token from another context does not verify", "[lab]") {
  delegation_service svc(lab_kerberos());
  auto first = start_now(svc, principal("alice"), exchange_spn());
  auto second = start_now(svc, principal("alice"), exchange_spn());
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  const auto a1 = exchange_acceptor().accept(first->authorization(), std::nullopt);
  REQUIRE(a1.accepted());
  const auto e = second->verify_reply("negotiate " + a1.reply_base64);  // scheme is case-insensitive
  INFO(e.detail);
  CHECK(e.code == errc::mutual_auth_failed);
}

namespace {

// A loopback TLS server presenting NAME.pem from the test PKI; the client side returns the
// certificate it saw (what the proxy would hash for an https upstream).
cba::tls::x509_ptr peer_certificate_over_tls(const std::string& cert, const std::string& key) {
  asio::io_context io;
  asio::ssl::context server_ctx(asio::ssl::context::tls_server);
  server_ctx.use_certificate_chain_file(cert);
  server_ctx.use_private_key_file(key, asio::ssl::context::pem);
  asio::ssl::context client_ctx(asio::ssl::context::tls_client);
  client_ctx.set_verify_mode(asio::ssl::verify_none);  // binding, not trust, is under test

  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ssl::stream<asio::ip::tcp::socket> server(io, server_ctx);
  asio::ssl::stream<asio::ip::tcp::socket> client(io, client_ctx);
  boost::system::error_code server_ec;
  boost::system::error_code client_ec;
  acceptor.async_accept(server.next_layer(), [&](boost::system::error_code ec) {
    if (ec) {
      server_ec = ec;
      return;
    }
    server.async_handshake(asio::ssl::stream_base::server, [&](boost::system::error_code hec) { server_ec = hec; });
  });
  client.next_layer().async_connect(acceptor.local_endpoint(), [&](boost::system::error_code ec) {
    if (ec) {
      client_ec = ec;
      return;
    }
    client.async_handshake(asio::ssl::stream_base::client, [&](boost::system::error_code hec) { client_ec = hec; });
  });
  io.run();
  REQUIRE_FALSE(server_ec);
  REQUIRE_FALSE(client_ec);
  cba::tls::x509_ptr peer(SSL_get1_peer_certificate(client.native_handle()));
  REQUIRE(peer);
  return peer;
}

cba::tls::x509_ptr load_cert(const std::string& pem) {
  cba::tls::bio_ptr bio(BIO_new_file(pem.c_str(), "r"));
  REQUIRE(bio);
  cba::tls::x509_ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(cert);
  return cert;
}

std::string binding_of(X509* cert) {
  auto b = cba::auth::tls_server_end_point(cert);
  REQUIRE(b.has_value());
  return *b;
}

}  // namespace

TEST_CASE("channel bindings from a real TLS connection: matching accepted - another certificate's rejected", "[lab]") {
  const auto& pki = cba::test::test_pki::get();
  const auto seen = peer_certificate_over_tls(pki.cert("server"), pki.key("server"));
  const std::string initiator_binding = binding_of(seen.get());
  // The acceptor computes its bindings from its own certificate file, independently of the TLS client.
  const std::string acceptor_binding = binding_of(load_cert(pki.cert("server")).get());
  const std::string other_binding = binding_of(load_cert(pki.cert("upstream")).get());
  REQUIRE(initiator_binding == acceptor_binding);
  REQUIRE(initiator_binding != other_binding);

  delegation_service svc(lab_kerberos());
  auto bound = start_now(svc, principal("alice"), exchange_spn(), initiator_binding);
  REQUIRE(bound.has_value());
  CHECK(bound->channel_bound());

  SECTION("the acceptor's bindings match") {
    const auto a = exchange_acceptor().accept(bound->authorization(), acceptor_binding);
    INFO(a.detail);
    REQUIRE(a.accepted());
    CHECK(a.source_name == "alice@EXAMPLE.TEST");
    CHECK(a.channel_bound);
    const auto v = bound->verify_reply("Negotiate " + a.reply_base64);
    INFO(v.detail);
    CHECK_FALSE(v.code);
  }
  SECTION("a different certificate's bindings: GSS_S_BAD_BINDINGS") {
    const auto a = exchange_acceptor().accept(bound->authorization(), other_binding);
    INFO(a.detail);
    CHECK_FALSE(a.accepted());
    CHECK(GSS_ROUTINE_ERROR(a.major) == GSS_S_BAD_BINDINGS);
  }
  SECTION("MIT: an acceptor that checks none accepts a bound token") {
    const auto a = exchange_acceptor().accept(bound->authorization(), std::nullopt);
    INFO(a.detail);
    CHECK(a.accepted());
    CHECK_FALSE(a.channel_bound);
  }
  SECTION("MIT: an initiator that sends none is accepted by a binding acceptor, without the bound flag") {
    auto unbound = start_now(svc, principal("alice"), exchange_spn());
    REQUIRE(unbound.has_value());
    const auto a = exchange_acceptor().accept(unbound->authorization(), acceptor_binding);
    INFO(a.detail);
    CHECK(a.accepted());
    CHECK_FALSE(a.channel_bound);  // an acceptor that requires Extended Protection refuses on this flag
  }
}

TEST_CASE("KDC refusals map to delegation reasons with the KDC's message", "[lab]") {
  delegation_service svc(lab_kerberos());
  struct refusal {
    std::string user;
    std::string spn;
    errc expected;
  };
  const std::vector<refusal> cases = {
      {principal("bob"), exchange_spn(), errc::delegation_refused},                  // disabled
      {principal("dave"), exchange_spn(), errc::delegation_refused},                 // expired
      {principal("erin"), exchange_spn(), errc::delegation_refused},                 // locked out
      {principal("nobody-here"), exchange_spn(), errc::delegation_refused},          // unknown
      {principal("alice"), "ldap/dc1.example.test", errc::delegation_not_allowed},   // not in AllowedToDelegateTo
      {principal("alice"), "HTTP/nonexistent.example.test", errc::delegation_not_allowed},  // no such SPN
      {principal("alice"), "not-an-spn", errc::delegation_not_allowed},
  };
  for (const auto& c : cases) {
    auto r = start_now(svc, c.user, c.spn);
    INFO(c.user << " -> " << c.spn);
    REQUIRE_FALSE(r.has_value());
    INFO(r.error().detail);
    CHECK(r.error().code == c.expected);
    CHECK_FALSE(r.error().detail.empty());
    std::printf("refusal %s -> %s: %s: %s\n", c.user.c_str(), c.spn.c_str(),
                std::string(cba::reason_code(r.error().code)).c_str(), r.error().detail.c_str());
  }
  // Refusals are not cached: bob again asks the KDC again.
  const auto before = svc.stats().kdc_exchanges;
  auto r = start_now(svc, principal("bob"), exchange_spn());
  CHECK_FALSE(r.has_value());
  CHECK(svc.stats().kdc_exchanges == before + 1);
  CHECK(svc.stats().failures == cases.size() + 1);
}

TEST_CASE("the service's own SPN is not a delegation target either", "[lab]") {
  delegation_service svc(lab_kerberos());
  auto r = start_now(svc, principal("alice"), lab().at("LAB_SVC_SPN"));
  if (r.has_value()) {
    // Samba may hand out a ticket to the service itself (S4U2Self evidence); then it must say alice.
    const auto a = exchange_acceptor().accept(r->authorization(), std::nullopt);
    CHECK_FALSE(a.accepted());  // EXCHANGE$'s key cannot read a ticket for svc-cba
    WARN("S4U2Proxy to the service's own SPN succeeded (ticket for svc-cba itself)");
  } else {
    INFO(r.error().detail);
    CHECK(r.error().code == errc::delegation_not_allowed);
    std::printf("own SPN: %s\n", r.error().detail.c_str());
  }
}

namespace {

// A copy of the lab krb5.conf whose KDC is 127.0.0.1:port.
std::string krb5_conf_with_kdc(const cba::test::temp_dir& dir, unsigned short port) {
  std::ifstream in(lab().at("LAB_KRB5_CONFIG"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string kdc = "kdc = 127.0.0.1:" + lab().at("LAB_KDC_PORT");
  const auto pos = text.find(kdc);
  REQUIRE(pos != std::string::npos);
  text.replace(pos, kdc.size(), "kdc = 127.0.0.1:" + std::to_string(port));
  return dir.write("krb5.conf", text);
}

unsigned short closed_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();  // closed again when `a` goes
}

}  // namespace

TEST_CASE("an unreachable KDC is kdc_unavailable", "[lab]") {
  cba::test::temp_dir dir;
  auto cfg = lab_kerberos();
  SECTION("connection refused") {
    cfg.krb5_conf = krb5_conf_with_kdc(dir, closed_port());
    cba::auth::use_krb5_config(cfg.krb5_conf);
    delegation_service svc(cfg, 2, std::chrono::seconds(5));
    const auto t0 = clock_type::now();
    auto r = start_now(svc, principal("alice"), exchange_spn());
    std::printf("closed KDC port: %.1f ms\n", ms_since(t0));
    REQUIRE_FALSE(r.has_value());
    INFO(r.error().detail);
    CHECK(r.error().code == errc::kdc_unavailable);
    CHECK(r.error().detail.find("service credential") != std::string::npos);
  }
  SECTION("a KDC that never answers: the deadline") {
    asio::io_context io;
    // Listening but never accepting: connects succeed, requests are never answered.
    auto black_hole = std::make_unique<asio::ip::tcp::acceptor>(io, asio::ip::tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0});
    cfg.krb5_conf = krb5_conf_with_kdc(dir, black_hole->local_endpoint().port());
    cba::auth::use_krb5_config(cfg.krb5_conf);
    delegation_service svc(cfg, 2, std::chrono::milliseconds(400));
    const auto t0 = clock_type::now();
    auto all = start_all(svc, {{principal("alice"), exchange_spn()}, {principal("alice"), exchange_spn()},
                               {principal("user02"), exchange_spn()}});
    std::printf("silent KDC, 400 ms deadline: all 3 starts completed after %.1f ms\n", ms_since(t0));
    for (auto& rec : all) {
      REQUIRE(rec.result.has_value());
      REQUIRE_FALSE(rec.result->has_value());
      INFO(rec.result->error().detail);
      CHECK(rec.result->error().code == errc::kdc_unavailable);
      CHECK(rec.result->error().detail.find("within 400 ms") != std::string::npos);
    }
    CHECK(svc.stats().failures == 3);
    black_hole.reset();  // resets the pending connections: the pool's KDC calls end, ~svc joins them
  }
}

TEST_CASE("cache: sequential starts for one user make one KDC exchange", "[lab]") {
  delegation_service svc(lab_kerberos());
  std::vector<std::string> tokens;
  for (int i = 0; i < 3; ++i) {
    auto r = start_now(svc, principal("alice"), exchange_spn());
    REQUIRE(r.has_value());
    CHECK(r->from_cache() == (i > 0));
    const auto a = exchange_acceptor().accept(r->authorization(), std::nullopt);
    INFO(a.detail);
    REQUIRE(a.accepted());
    CHECK(a.source_name == "alice@EXAMPLE.TEST");
    const auto v = r->verify_reply("Negotiate " + a.reply_base64);
    INFO(v.detail);
    CHECK_FALSE(v.code);
    tokens.push_back(r->authorization());
  }
  CHECK(tokens[0] != tokens[1]);  // a new context (authenticator) per connection
  const auto s = svc.stats();
  CHECK(s.kdc_exchanges == 1);
  CHECK(s.cache_misses == 1);
  CHECK(s.cache_hits == 2);
  CHECK(s.entries == 1);
}

TEST_CASE("cache: 8 concurrent starts for one user make one KDC exchange - two users make two", "[lab]") {
  delegation_service svc(lab_kerberos());
  std::vector<std::pair<std::string, std::string>> what(8, {principal("user01"), exchange_spn()});
  auto all = start_all(svc, what);
  for (auto& rec : all) {
    REQUIRE(rec.result.has_value());
    INFO((rec.result->has_value() ? std::string() : rec.result->error().detail));
    REQUIRE(rec.result->has_value());
    const auto a = exchange_acceptor().accept((*rec.result)->authorization(), std::nullopt);
    REQUIRE(a.accepted());
    CHECK(a.source_name == "user01@EXAMPLE.TEST");
  }
  auto s = svc.stats();
  CHECK(s.kdc_exchanges == 1);
  CHECK(s.cache_hits + s.cache_misses == 8);

  auto two = start_all(svc, {{principal("user02"), exchange_spn()}, {principal("user03"), exchange_spn()},
                             {principal("user02"), exchange_spn()}, {principal("user03"), exchange_spn()}});
  for (auto& rec : two) REQUIRE(rec.result->has_value());
  CHECK(svc.stats().kdc_exchanges == 3);
  CHECK(svc.stats().service_credential_acquisitions == 1);  // one TGT serves every exchange
}

TEST_CASE("cache: invalidate forces a new exchange", "[lab]") {
  delegation_service svc(lab_kerberos());
  REQUIRE(start_now(svc, principal("alice"), exchange_spn()).has_value());
  REQUIRE(start_now(svc, principal("alice"), exchange_spn()).has_value());
  CHECK(svc.stats().kdc_exchanges == 1);
  svc.invalidate(principal("alice"), exchange_spn());
  auto r = start_now(svc, principal("alice"), exchange_spn());
  REQUIRE(r.has_value());
  CHECK_FALSE(r->from_cache());
  CHECK(svc.stats().kdc_exchanges == 2);
  svc.invalidate(principal("nobody"), exchange_spn());  // unknown keys are fine
}

TEST_CASE("cache: max_entries 2 with 3 users evicts the least recently used", "[lab]") {
  delegation_service svc(lab_kerberos(2));
  for (const char* u : {"user04", "user05", "user06"}) REQUIRE(start_now(svc, principal(u), exchange_spn()).has_value());
  CHECK(svc.stats().kdc_exchanges == 3);
  CHECK(svc.stats().entries == 2);
  // user04 was evicted: a new exchange (which evicts user05, now the least recently used).
  REQUIRE(start_now(svc, principal("user04"), exchange_spn()).has_value());
  CHECK(svc.stats().kdc_exchanges == 4);
  // user06 survived both evictions.
  auto r = start_now(svc, principal("user06"), exchange_spn());
  REQUIRE(r.has_value());
  CHECK(r->from_cache());
  CHECK(svc.stats().kdc_exchanges == 4);
  CHECK(svc.stats().entries == 2);
}

TEST_CASE("refresh_before_expiry beyond the ticket lifetime: nothing is reused - the TGT is renewed", "[lab]") {
  // The lab's tickets live 10 h; asking to refresh 11 h before the end makes every ticket too old to
  // keep: each start is a new exchange and re-acquires the service's own TGT.
  delegation_service svc(lab_kerberos(100, std::chrono::hours(11)));
  for (int i = 0; i < 2; ++i) {
    auto r = start_now(svc, principal("alice"), exchange_spn());
    REQUIRE(r.has_value());
    CHECK(exchange_acceptor().accept(r->authorization(), std::nullopt).accepted());
  }
  const auto s = svc.stats();
  CHECK(s.kdc_exchanges == 2);
  CHECK(s.service_credential_acquisitions == 2);
  CHECK(s.entries == 0);
}

TEST_CASE("timings: one S4U2Self+S4U2Proxy chain and a cached start", "[lab][timing]") {
  delegation_service svc(lab_kerberos());
  const auto t0 = clock_type::now();
  REQUIRE(start_now(svc, principal("user07"), exchange_spn()).has_value());  // includes the service TGT
  const double first = ms_since(t0);
  const auto t1 = clock_type::now();
  REQUIRE(start_now(svc, principal("user08"), exchange_spn()).has_value());
  const double chain = ms_since(t1);
  double cached_total = 0;
  constexpr int cached_runs = 20;
  for (int i = 0; i < cached_runs; ++i) {
    const auto t = clock_type::now();
    REQUIRE(start_now(svc, principal("user08"), exchange_spn()).has_value());
    cached_total += ms_since(t);
  }
  std::printf("first start (service TGT + S4U2Self + S4U2Proxy): %.1f ms; S4U2Self+S4U2Proxy: %.1f ms; "
              "cached start (mean of %d): %.2f ms\n",
              first, chain, cached_runs, cached_total / cached_runs);
  CHECK(svc.stats().kdc_exchanges == 2);
}

TEST_CASE("an SPN with its realm works like the host-based form and is cached separately", "[lab]") {
  delegation_service svc(lab_kerberos());
  const std::string with_realm = exchange_spn() + "@" + lab().at("LAB_REALM");
  for (const auto& spn : {exchange_spn(), with_realm}) {
    auto r = start_now(svc, principal("alice"), spn);
    INFO(spn << ": " << (r ? std::string() : r.error().detail));
    REQUIRE(r.has_value());
    const auto a = exchange_acceptor().accept(r->authorization(), std::nullopt);
    REQUIRE(a.accepted());
    CHECK(a.source_name == "alice@EXAMPLE.TEST");
    CHECK_FALSE(r->verify_reply_token(a.reply_base64).code);
  }
  CHECK(svc.stats().kdc_exchanges == 2);
}
