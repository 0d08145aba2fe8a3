// Real TLS handshakes on loopback: make_server_context + the certificate policy against clients using
// the PKI of tests/pki/make-test-pki.sh, and make_upstream_context against a plain TLS server.

#include "proxy/tls/certificate_policy.hpp"
#include "proxy/tls/client_context.hpp"
#include "proxy/tls/pem.hpp"
#include "proxy/tls/server_context.hpp"
#include "proxy/tls/session_ticket_keys.hpp"
#include "proxy/tls/upn.hpp"
#include "proxy/tls/x509_facts.hpp"
#include "tests/tls/script_pki_tls.hpp"
#include "tests/tls/test_certs.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <openssl/err.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>

using namespace cba;
using namespace cba::tls;
using namespace cba::tls::testing;
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

namespace {

struct outcome {
  bool server_done = false;
  bool client_done = false;
  boost::system::error_code server_ec;
  boost::system::error_code client_ec;       // the client's handshake
  boost::system::error_code client_read_ec;  // TLS 1.3: a refusal arrives after the client's handshake
  peer_verdict verdict;
  std::vector<std::string> ca_names_sent;  // CertificateRequest names as the client saw them
  int version = 0;
};

// The TLS alert the peer sent, or -1.
int alert_of(const boost::system::error_code& ec) {
  if (ec.category() != asio::error::get_ssl_category()) return -1;
  const auto reason = ERR_GET_REASON(static_cast<unsigned long>(static_cast<unsigned int>(ec.value())));
  return reason >= SSL_AD_REASON_OFFSET ? reason - SSL_AD_REASON_OFFSET : -1;
}

outcome handshake(ssl::context& server_ctx, ssl::context& client_ctx, const std::string& server_name,
                  bool attach_verdict = true) {
  asio::io_context io;
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  ssl::stream<tcp::socket> server(io, server_ctx);
  ssl::stream<tcp::socket> client(io, client_ctx);
  outcome out;
  if (attach_verdict) certificate_policy::attach(server.native_handle(), &out.verdict);
  std::string error;
  REQUIRE(prepare_upstream_ssl(client.native_handle(), server_name, error));
  std::array<char, 64> buffer{};

  acceptor.async_accept(server.next_layer(), [&](boost::system::error_code ec) {
    REQUIRE_FALSE(ec);
    server.async_handshake(ssl::stream_base::server, [&](boost::system::error_code hec) {
      out.server_ec = hec;
      out.server_done = true;
      boost::system::error_code ignored;
      server.next_layer().close(ignored);
    });
  });
  client.next_layer().async_connect(acceptor.local_endpoint(), [&](boost::system::error_code ec) {
    REQUIRE_FALSE(ec);
    client.async_handshake(ssl::stream_base::client, [&](boost::system::error_code hec) {
      out.client_ec = hec;
      out.version = SSL_version(client.native_handle());
      if (const auto* names = SSL_get0_peer_CA_list(client.native_handle())) {
        for (int i = 0; i < sk_X509_NAME_num(names); ++i) out.ca_names_sent.push_back(name_string(sk_X509_NAME_value(names, i)));
      }
      if (hec) {
        out.client_done = true;
        return;
      }
      client.async_read_some(asio::buffer(buffer), [&](boost::system::error_code rec, std::size_t) {
        out.client_read_ec = rec;
        out.client_done = true;
      });
    });
  });
  io.run_for(std::chrono::seconds(30));  // a safety net against a hung test, not an assertion on time
  REQUIRE(out.server_done);
  REQUIRE(out.client_done);
  return out;
}

int tls_version(config::tls_version v) { return v == config::tls_version::v1_3 ? TLS1_3_VERSION : TLS1_2_VERSION; }

}  // namespace

TEST_CASE("mTLS handshake: certificate policy verdicts", "[tls][handshake]") {
  const auto version = GENERATE(config::tls_version::v1_2, config::tls_version::v1_3);
  CAPTURE(tls_version(version));
  const auto policy = certificate_policy::create(script_trust());
  ssl::context server_ctx = make_server_context(script_listener(), *policy);

  struct expectation {
    std::string client;
    errc reason;
    int alert;
  };
  const auto [client_name, reason, alert] = GENERATE(values<expectation>({
      {"alice", errc::ok, -1},
      {"rsa-alice", errc::ok, -1},
      {"no-upn", errc::ok, -1},  // the handshake judges the chain; the UPN is judged after it
      {"", errc::no_client_certificate, -2},
      {"untrusted", errc::chain_untrusted, SSL_AD_UNKNOWN_CA},
      {"expired", errc::certificate_expired, SSL_AD_CERTIFICATE_EXPIRED},
      {"wrong-eku", errc::eku_missing, SSL_AD_UNSUPPORTED_CERTIFICATE},
      {"no-eku", errc::eku_missing, SSL_AD_UNSUPPORTED_CERTIFICATE},
      {"smartcard", errc::eku_missing, SSL_AD_UNSUPPORTED_CERTIFICATE},
      {"rogue", errc::issuer_not_ntauth, SSL_AD_BAD_CERTIFICATE},
  }));
  CAPTURE(client_name);
  ssl::context client_ctx = script_client_context(client_name, tls_version(version));
  const outcome out = handshake(server_ctx, client_ctx, "localhost");
  CHECK(out.version == tls_version(version));
  CHECK(out.verdict.reason == reason);
  CHECK(out.verdict.certificate_presented == !client_name.empty());
  INFO(out.verdict.detail);
  if (reason == errc::ok) {
    CHECK_FALSE(out.server_ec);
    CHECK_FALSE(out.client_ec);
    CHECK(out.verdict.detail.empty());
  } else {
    REQUIRE(out.server_ec);
    CHECK(certificate_policy::handshake_failure_reason(out.verdict, out.server_ec) == reason);
    // TLS 1.2 refuses inside the client's handshake; TLS 1.3 after it, on the first read.
    const auto& client_error = version == config::tls_version::v1_2 ? out.client_ec : out.client_read_ec;
    if (alert == -2) {
      CHECK(alert_of(client_error) ==
            (version == config::tls_version::v1_2 ? SSL_AD_HANDSHAKE_FAILURE : SSL_AD_CERTIFICATE_REQUIRED));
    } else {
      CHECK(alert_of(client_error) == alert);
    }
    if (client_name.empty()) {
      CHECK(out.verdict.detail == "the client sent no certificate");
    } else {
      CHECK_THAT(out.verdict.detail, Catch::Contains("CN=Alice"));
    }
  }
}

TEST_CASE("mTLS handshake: the verified peer is available to the session", "[tls][handshake]") {
  const auto policy = certificate_policy::create(script_trust());
  ssl::context server_ctx = make_server_context(script_listener(config::tls_version::v1_3), *policy);
  ssl::context client_ctx = script_client_context("alice", TLS1_3_VERSION);

  asio::io_context io;
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  ssl::stream<tcp::socket> server(io, server_ctx);
  ssl::stream<tcp::socket> client(io, client_ctx);
  peer_verdict verdict;
  certificate_policy::attach(server.native_handle(), &verdict);
  CHECK(certificate_policy::attached(server.native_handle()) == &verdict);
  bool done = false;
  acceptor.async_accept(server.next_layer(), [&](boost::system::error_code) {
    server.async_handshake(ssl::stream_base::server, [&](boost::system::error_code ec) {
      CHECK_FALSE(ec);
      CHECK(verdict.reason == errc::ok);
      const x509_ptr peer{SSL_get1_peer_certificate(server.native_handle())};
      REQUIRE(peer);
      const auto facts = describe_certificate(peer.get());
      CHECK(facts.subject == "CN=Alice");
      CHECK(facts.issuer == "CN=Example Issuing CA,DC=example,DC=test");
      CHECK(facts.san_upns == std::vector<std::string>{"alice@example.test"});
      STACK_OF(X509)* chain = SSL_get0_verified_chain(server.native_handle());
      REQUIRE(chain != nullptr);
      CHECK(sk_X509_num(chain) == 3);  // alice, issuing CA, root
      CHECK(SSL_session_reused(server.native_handle()) == 0);
      done = true;
      server.next_layer().close();
    });
  });
  client.next_layer().async_connect(acceptor.local_endpoint(), [&](boost::system::error_code) {
    client.async_handshake(ssl::stream_base::client, [&](boost::system::error_code) {});
  });
  io.run_for(std::chrono::seconds(30));
  CHECK(done);
}

TEST_CASE("mTLS handshake: optional client certificate", "[tls][handshake]") {
  const auto policy = certificate_policy::create(script_trust());
  ssl::context server_ctx =
      make_server_context(script_listener(config::tls_version::v1_2, config::client_certificate_mode::optional), *policy);
  SECTION("none sent: handshake completes, verdict says so") {
    ssl::context client_ctx = script_client_context("", TLS1_3_VERSION);
    const outcome out = handshake(server_ctx, client_ctx, "localhost");
    CHECK_FALSE(out.server_ec);
    CHECK(out.verdict.reason == errc::no_client_certificate);
    CHECK_FALSE(out.verdict.certificate_presented);
  }
  SECTION("a bad one is still refused") {
    ssl::context client_ctx = script_client_context("untrusted", TLS1_3_VERSION);
    const outcome out = handshake(server_ctx, client_ctx, "localhost");
    CHECK(out.server_ec);
    CHECK(out.verdict.reason == errc::chain_untrusted);
  }
}

TEST_CASE("mTLS handshake: CertificateRequest names follow trust.advertise", "[tls][handshake]") {
  auto trust = script_trust();
  std::vector<std::string> expected{"CN=Example Issuing CA,DC=example,DC=test"};
  SECTION("default with ntauth: the ntauth CAs") {}
  SECTION("roots") {
    trust.advertise = config::advertise_mode::roots;
    expected = {"CN=Example Root CA,O=Example"};
  }
  SECTION("none") {
    trust.advertise = config::advertise_mode::none;
    expected.clear();
  }
  const auto policy = certificate_policy::create(trust);
  ssl::context server_ctx = make_server_context(script_listener(), *policy);
  for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    ssl::context client_ctx = script_client_context("alice", version);
    const outcome out = handshake(server_ctx, client_ctx, "localhost");
    CHECK(out.verdict.reason == errc::ok);
    CHECK(out.ca_names_sent == expected);
  }
}

TEST_CASE("server context: protocol floor, no renegotiation, one ticket per handshake, sessions kept without key files",
          "[tls][handshake]") {
  const auto policy = certificate_policy::create(script_trust());
  ssl::context server_ctx = make_server_context(script_listener(config::tls_version::v1_3), *policy);
  SSL_CTX* ctx = server_ctx.native_handle();
  CHECK((SSL_CTX_get_options(ctx) & SSL_OP_NO_RENEGOTIATION) != 0);
  CHECK(SSL_CTX_get_num_tickets(ctx) == 1);  // one ticket per handshake, not OpenSSL's default two
  // No key files: stateful tickets, looked up only through resumption_policy (never OpenSSL's own cache).
  CHECK((SSL_CTX_get_options(ctx) & SSL_OP_NO_TICKET) != 0);
  CHECK(SSL_CTX_get_session_cache_mode(ctx) == (SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL | SSL_SESS_CACHE_NO_AUTO_CLEAR));
  CHECK(SSL_CTX_sess_get_get_cb(ctx) != nullptr);
  {
    // With key files: stateless tickets, no session cache.
    test::temp_dir dir{"cba-ticket-key"};
    const auto key_file = dir.file("ticket.key");
    test::write_file(key_file, std::string(80, 'k'));
    session_resumption sealed;
    sealed.keys = session_ticket_keys::create({key_file});
    ssl::context sealing = make_server_context(script_listener(config::tls_version::v1_3), *policy, sealed);
    CHECK((SSL_CTX_get_options(sealing.native_handle()) & SSL_OP_NO_TICKET) == 0);
    CHECK(SSL_CTX_get_session_cache_mode(sealing.native_handle()) == SSL_SESS_CACHE_OFF);
    CHECK(SSL_CTX_sess_get_get_cb(sealing.native_handle()) == nullptr);
  }
  CHECK((SSL_CTX_get_verify_mode(ctx) & SSL_VERIFY_POST_HANDSHAKE) == 0);
  CHECK(SSL_CTX_get_verify_mode(ctx) == (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT));

  ssl::context old_client = script_client_context("alice", TLS1_2_VERSION);
  const outcome out = handshake(server_ctx, old_client, "localhost");
  CHECK(out.server_ec);
  CHECK(out.client_ec);
  CHECK(certificate_policy::handshake_failure_reason(out.verdict, out.server_ec) == errc::handshake_failed);
}

TEST_CASE("server context: start-up errors name the file", "[tls][handshake]") {
  const auto policy = certificate_policy::create(script_trust());
  auto tls = script_listener();
  SECTION("key of another certificate") {
    tls.private_key = script_pki_file("alice.key");
    CHECK_THROWS_WITH(make_server_context(tls, *policy), Catch::Contains("does not match"));
  }
  SECTION("missing chain") {
    tls.certificate_chain = script_pki_file("nope.pem");
    CHECK_THROWS_WITH(make_server_context(tls, *policy), Catch::Contains("tls.certificate_chain (" + script_pki_file("nope.pem")));
  }
}

TEST_CASE("the server context keeps its certificate policy alive", "[tls][handshake]") {
  auto policy = certificate_policy::create(script_trust());
  ssl::context server_ctx = make_server_context(script_listener(), *policy);
  policy.reset();  // only the context holds it now
  ssl::context client_ctx = script_client_context("rogue", TLS1_3_VERSION);
  CHECK(handshake(server_ctx, client_ctx, "localhost").verdict.reason == errc::issuer_not_ntauth);
}

TEST_CASE("upstream context verifies the upstream's CA and name", "[tls][upstream]") {
  ssl::context server_ctx{ssl::context::tls_server};
  server_ctx.use_certificate_chain_file(script_pki_file("upstream-chain.pem"));
  server_ctx.use_private_key_file(script_pki_file("upstream.key"), ssl::context::pem);

  const auto attempt = [&](const std::string& ca, const std::string& name) {
    ssl::context client_ctx = make_upstream_context({script_pki_file(ca), {}});
    return handshake(server_ctx, client_ctx, name, false).client_ec;
  };
  CHECK_FALSE(attempt("upstream-ca.pem", "upstream.example.test"));
  CHECK_FALSE(attempt("upstream-ca.pem", "UPSTREAM.example.test"));
  CHECK_FALSE(attempt("upstream-ca.pem", "127.0.0.1"));
  const auto wrong_name = attempt("upstream-ca.pem", "other.example.test");
  CHECK(wrong_name);
  CHECK(ERR_GET_REASON(static_cast<unsigned long>(static_cast<unsigned int>(wrong_name.value()))) ==
        SSL_R_CERTIFICATE_VERIFY_FAILED);
  CHECK(attempt("upstream-ca.pem", "::1"));     // not in the SAN
  CHECK(attempt("roots.pem", "upstream.example.test"));  // another CA

  SECTION("bad names and missing CAs") {
    std::string error;
    ssl::context ctx = make_upstream_context({script_pki_file("upstream-ca.pem"), {}});
    const ssl_ptr ssl_handle{SSL_new(ctx.native_handle())};
    CHECK_FALSE(prepare_upstream_ssl(ssl_handle.get(), "", error));
    CHECK_FALSE(error.empty());
    CHECK_THROWS_WITH(make_upstream_context({}), Catch::Contains("tls.ca is required"));
    CHECK_THROWS_WITH(make_upstream_context({script_pki_file("missing.pem"), {}}), Catch::Contains("missing.pem"));
  }
}

TEST_CASE("the test PKI script is complete and idempotent", "[tls][pki]") {
  const std::string dir = script_pki_file("");
  for (const char* name : {"root-ca.pem", "issuing-ca.pem", "rogue-ca.pem", "other-root-ca.pem", "roots.pem",
                           "intermediates.pem", "ntauth.pem", "server-chain.pem", "upstream-ca.pem",
                           "upstream-chain.pem", "alice-chain.pem", "bob.pem", "unknown.pem", "expired.pem",
                           "wrong-eku.pem", "no-eku.pem", "smartcard.pem", "untrusted.pem", "rogue.pem",
                           "no-upn.pem", "two-upns.pem", "subject-upn.pem", "rsa-alice.key", "users.yaml",
                           ".complete"}) {
    CAPTURE(name);
    CHECK(std::filesystem::exists(script_pki_file(name)));
  }
  const std::string before = read_file(script_pki_file("alice.pem"));
  run_command("bash '" CBA_TEST_PKI_SCRIPT "' '" + dir + "'");
  CHECK(read_file(script_pki_file("alice.pem")) == before);

  SECTION("a fresh run creates exactly the documented files") {
    const temp_dir fresh;
    run_command("bash '" CBA_TEST_PKI_SCRIPT "' '" + fresh.file("out") + "'");
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(fresh.path() / "out")) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    std::vector<std::string> expected{".complete", ".lock", "intermediates.pem", "ntauth.pem", "roots.pem",
                                      "users.yaml"};
    for (const char* stem : {"root-ca", "issuing-ca", "rogue-ca", "other-root-ca", "upstream-ca"}) {
      expected.push_back(std::string(stem) + ".pem");
      expected.push_back(std::string(stem) + ".key");
    }
    for (const char* stem : {"server", "upstream", "alice", "bob", "unknown", "expired", "wrong-eku", "no-eku",
                             "smartcard", "untrusted", "rogue", "no-upn", "two-upns", "subject-upn", "rsa-alice",
                             "alice-sid", "alice-sid-url", "alice-wrong-sid", "bad-sid-ext", "strong"}) {
      expected.push_back(std::string(stem) + ".pem");
      expected.push_back(std::string(stem) + ".key");
      expected.push_back(std::string(stem) + "-chain.pem");
    }
    std::sort(expected.begin(), expected.end());
    CHECK(names == expected);
  }
}

TEST_CASE("the test PKI's client certificates carry the documented identities", "[tls][pki]") {
  const auto load = [](const std::string& name) {
    auto certs = read_certificates(script_pki_file(name + ".pem"));
    REQUIRE(certs);
    return std::move(certs.value.front());
  };
  const config::identity_config san_only;
  config::identity_config with_subject;
  with_subject.upn_sources = {config::upn_source::san_upn, config::upn_source::subject_upn};

  CHECK(select_upn(load("alice").get(), san_only).upn == "alice@example.test");
  CHECK(select_upn(load("rsa-alice").get(), san_only).upn == "alice@example.test");
  CHECK(select_upn(load("bob").get(), san_only).upn == "bob@example.test");
  CHECK(select_upn(load("unknown").get(), san_only).upn == "nobody@example.test");
  CHECK(select_upn(load("no-upn").get(), with_subject).reason == errc::upn_missing);
  CHECK(select_upn(load("two-upns").get(), san_only).reason == errc::upn_ambiguous);
  CHECK(select_upn(load("subject-upn").get(), san_only).reason == errc::upn_missing);
  CHECK(select_upn(load("subject-upn").get(), with_subject).upn == "alice@example.test");
  CHECK(describe_certificate(load("alice").get()).subject == "CN=Alice");
  CHECK(describe_certificate(load("rogue").get()).issuer == "CN=Example Rogue CA,DC=example,DC=test");
  CHECK(describe_certificate(load("untrusted").get()).issuer == "CN=Other Root CA,O=Other");

  const auto policy = certificate_policy::create(script_trust());
  CHECK(policy->verify(load("bob").get(), {}).reason == errc::ok);
  CHECK(policy->verify(load("expired").get(), {}).reason == errc::certificate_expired);
  CHECK(policy->verify(load("server").get(), {}).reason == errc::eku_missing);
  const std::string users = read_file(script_pki_file("users.yaml"));
  CHECK_THAT(users, Catch::Contains("S-1-5-21-1004336348-1177238915-682003330-1104"));
  CHECK_THAT(users, Catch::Contains("disabled: true"));
}
