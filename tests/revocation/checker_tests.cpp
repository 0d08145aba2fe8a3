// The revocation checker against real peers: CRLs made by `openssl ca`, served by a loopback HTTP
// server, and `openssl ocsp` answering through it.
#include "proxy/revocation/checker.hpp"
#include "tests/revocation/revocation_lab.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <mutex>
#include <thread>

using namespace cba;
using namespace cba::revocation;
using cba::test::revocation_lab;
using namespace std::chrono_literals;

namespace {

struct log_capture {
  std::mutex mutex;
  std::vector<std::string> lines;
  checker_options options() {
    checker_options o;
    o.log = [this](config::log_level, std::string_view event, std::string_view detail) {
      std::lock_guard lock(mutex);
      lines.push_back(std::string(event) + ": " + std::string(detail));
    };
    o.failure_backoff = 0ms;
    return o;
  }
  bool contains(std::string_view text) {
    std::lock_guard lock(mutex);
    for (const auto& l : lines)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }
};

config::trust_config with_crl_files(const revocation_lab& lab, std::vector<std::string> files) {
  auto t = lab.trust();
  for (auto& f : files) t.revocation.crl_files.push_back(lab.file(f));
  return t;
}

// The lab's trust with these CRL files, asking about the leaf certificate only.
config::trust_config leaf_with_crl_files(const revocation_lab& lab, std::vector<std::string> files) {
  auto t = with_crl_files(lab, std::move(files));
  t.revocation.check = config::revocation_check::leaf;
  return t;
}

std::string describe(const revocation_verdict& v) {
  std::string out = std::string(status_name(v.status)) + " reason=" + std::string(reason_code(v.reason)) +
                    " source=" + v.source + " detail=" + v.detail;
  for (const auto& c : v.certificates) {
    out += "\n  " + c.subject + ": " + std::string(status_name(c.status));
    for (const auto& a : c.answers)
      out += "\n    " + a.source + " " + std::string(status_name(a.status)) + " " + a.detail;
  }
  return out;
}

}  // namespace

TEST_CASE("CRL files: good and revoked leaves, mode defaults to hard") {
  revocation_lab lab;
  auto trust = leaf_with_crl_files(lab, {"issuing-ca.crl"});
  auto c = checker::create(trust);
  CHECK(c->mode() == config::revocation_mode::hard);

  const auto good = c->check_blocking(lab.chain("good"));
  INFO(describe(good));
  CHECK(good.status == revocation_status::good);
  CHECK(good.reason == errc::ok);
  CHECK(good.source == "crl-file " + lab.file("issuing-ca.crl"));
  CHECK(good.certificates.size() == 1);

  const auto revoked = c->check_blocking(lab.chain("revoked"));
  INFO(describe(revoked));
  CHECK(revoked.status == revocation_status::revoked);
  CHECK(revoked.reason == errc::revoked);
  CHECK_THAT(revoked.detail, Catch::Contains("keyCompromise") && Catch::Contains("Alice revoked"));
  CHECK(c->stats().good == 1);
  CHECK(c->stats().revoked == 1);
}

TEST_CASE("check: chain needs an answer for the issuing CA too; soft admits unknown, hard refuses it") {
  revocation_lab lab;
  auto trust = with_crl_files(lab, {"issuing-ca.crl"});  // no CRL of the root for the issuing CA
  auto hard = checker::create(trust);
  const auto unknown = hard->check_blocking(lab.chain("good"));
  INFO(describe(unknown));
  CHECK(unknown.status == revocation_status::unknown);
  CHECK(unknown.reason == errc::revocation_unknown);
  REQUIRE(unknown.certificates.size() == 2);
  CHECK(unknown.certificates[0].status == revocation_status::good);
  CHECK(unknown.certificates[1].status == revocation_status::unknown);
  CHECK_THAT(unknown.detail, Catch::Contains("Revocation Issuing CA"));

  trust.revocation.mode = config::revocation_mode::soft;
  auto soft = checker::create(trust);
  const auto admitted = soft->check_blocking(lab.chain("good"));
  CHECK(admitted.status == revocation_status::unknown);
  CHECK(admitted.reason == errc::ok);
  CHECK(soft->stats().unknown_admitted == 1);
  // Soft still refuses revoked.
  CHECK(soft->check_blocking(lab.chain("revoked")).reason == errc::revoked);

  auto both = checker::create(with_crl_files(lab, {"issuing-ca.crl", "root-ca.crl"}));
  const auto good = both->check_blocking(lab.chain("good"));
  INFO(describe(good));
  CHECK(good.status == revocation_status::good);
  CHECK(good.certificates.size() == 2);

  // A revoked intermediate revokes every leaf under it.
  lab.revoke("root-ca", "issuing-ca");
  auto after = checker::create(with_crl_files(lab, {"issuing-ca.crl", "root-ca.crl"}));
  const auto ca_revoked = after->check_blocking(lab.chain("good"));
  CHECK(ca_revoked.status == revocation_status::revoked);
  CHECK_THAT(ca_revoked.detail, Catch::StartsWith("CA certificate"));
}

TEST_CASE("mode off asks nothing") {
  revocation_lab lab;
  auto trust = with_crl_files(lab, {"issuing-ca.crl"});
  trust.revocation.mode = config::revocation_mode::off;
  auto c = checker::create(trust);
  CHECK_FALSE(c->enabled());
  const auto v = c->check_blocking(lab.chain("revoked"));
  CHECK(v.status == revocation_status::good);
  CHECK(v.certificates.empty());
  auto none = checker::create(lab.trust());  // no source: off by default
  CHECK(none->mode() == config::revocation_mode::off);
}

TEST_CASE("a CRL past its nextUpdate is not trusted") {
  revocation_lab lab;
  lab.gencrl("issuing-ca", 1);
  const auto deadline = std::chrono::system_clock::now() + 2s;
  while (std::chrono::system_clock::now() < deadline) std::this_thread::sleep_for(100ms);
  log_capture logs;
  auto trust = leaf_with_crl_files(lab, {"issuing-ca.crl"});
  auto c = checker::create(trust, logs.options());
  const auto v = c->check_blocking(lab.chain("good"));
  INFO(describe(v));
  CHECK(v.status == revocation_status::unknown);
  CHECK(v.reason == errc::revocation_unknown);
  CHECK_THAT(v.detail, Catch::Contains("past its nextUpdate"));
  CHECK(logs.contains("past its nextUpdate"));
}

TEST_CASE("a CRL whose signature does not verify is not trusted") {
  revocation_lab lab;
  auto der = cba::test::read_file(lab.file("issuing-ca.crl.der"));
  der.back() = static_cast<char>(der.back() ^ 0x01);  // inside the signature value
  cba::test::write_file(lab.file("tampered.crl"), der);
  log_capture logs;
  auto trust = leaf_with_crl_files(lab, {"tampered.crl"});
  auto c = checker::create(trust, logs.options());
  const auto v = c->check_blocking(lab.chain("revoked"));
  INFO(describe(v));
  CHECK(v.status == revocation_status::unknown);
  CHECK(logs.contains("signature does not verify"));
  CHECK(c->stats().crl_files == 0);
}

TEST_CASE("reload re-reads the CRL files: a revocation takes effect") {
  revocation_lab lab;
  auto trust = leaf_with_crl_files(lab, {"issuing-ca.crl"});
  auto c = checker::create(trust);
  CHECK(c->check_blocking(lab.chain("victim")).status == revocation_status::good);
  lab.revoke("issuing-ca", "victim");
  CHECK(c->check_blocking(lab.chain("victim")).status == revocation_status::good);  // snapshot unchanged
  c->reload();
  const auto v = c->check_blocking(lab.chain("victim"));
  CHECK(v.status == revocation_status::revoked);
  CHECK(c->stats().reloads == 1);
}

TEST_CASE("refresh re-reads the CRL files on its own") {
  revocation_lab lab;
  auto trust = leaf_with_crl_files(lab, {"issuing-ca.crl"});
  trust.revocation.refresh = 200ms;
  auto c = checker::create(trust);
  CHECK(c->check_blocking(lab.chain("victim")).status == revocation_status::good);
  lab.revoke("issuing-ca", "victim");
  bool revoked = false;
  for (int i = 0; i < 100 && !revoked; ++i) {  // generous bound: up to 10 s
    std::this_thread::sleep_for(100ms);
    revoked = c->check_blocking(lab.chain("victim")).status == revocation_status::revoked;
  }
  CHECK(revoked);
}

TEST_CASE("CRL distribution points are fetched once and cached") {
  revocation_lab lab;
  auto trust = lab.trust();
  trust.revocation.fetch_distribution_points = true;
  auto c = checker::create(trust);
  const auto good = c->check_blocking(lab.chain("good"));
  INFO(describe(good));
  CHECK(good.status == revocation_status::good);
  CHECK(good.source == "crl " + lab.url("/issuing-ca.crl"));
  CHECK(good.certificates.size() == 2);  // the issuing CA through /root-ca.crl
  CHECK(c->check_blocking(lab.chain("good")).status == revocation_status::good);
  CHECK(c->check_blocking(lab.chain("revoked")).status == revocation_status::revoked);
  CHECK(lab.hits("/issuing-ca.crl") == 1);
  CHECK(lab.hits("/root-ca.crl") == 1);
  CHECK(c->stats().crl_fetches == 2);
}

TEST_CASE("CRL distribution points: server down, stale-if-error, size bound") {
  revocation_lab lab;
  auto trust = lab.trust();
  trust.revocation.fetch_distribution_points = true;
  trust.revocation.check = config::revocation_check::leaf;
  log_capture logs;

  SECTION("nothing fetched yet and the server down: unknown") {
    lab.set_down(true);
    auto c = checker::create(trust, logs.options());
    const auto v = c->check_blocking(lab.chain("good"));
    INFO(describe(v));
    CHECK(v.status == revocation_status::unknown);
    CHECK(v.reason == errc::revocation_unknown);
    CHECK(logs.contains("revocation_crl_fetch_failed"));
    CHECK(c->stats().crl_fetch_failures == 1);
  }
  SECTION("a CRL fetched before stays in use while re-fetching fails (before its nextUpdate)") {
    auto c = checker::create(trust, logs.options());
    CHECK(c->check_blocking(lab.chain("good")).status == revocation_status::good);
    lab.set_down(true);
    c->reload();  // forces a re-fetch on next use
    const auto v = c->check_blocking(lab.chain("good"));
    INFO(describe(v));
    CHECK(v.status == revocation_status::good);
    CHECK(c->stats().crl_fetch_failures == 1);
  }
  SECTION("a download larger than max_crl_bytes is abandoned") {
    lab.serve_instead("/issuing-ca.crl", std::string(4096, 'x'));
    trust.revocation.max_crl_bytes = 1024;
    auto c = checker::create(trust, logs.options());
    const auto v = c->check_blocking(lab.chain("good"));
    INFO(describe(v));
    CHECK(v.status == revocation_status::unknown);
    CHECK_THAT(v.detail, Catch::Contains("larger than 1024 bytes"));
  }
  SECTION("a CRL signed by another CA than the certificate's issuer is refused") {
    lab.serve_instead("/issuing-ca.crl", cba::test::read_file(lab.file("root-ca.crl.der")));
    auto c = checker::create(trust, logs.options());
    const auto v = c->check_blocking(lab.chain("good"));
    INFO(describe(v));
    CHECK(v.status == revocation_status::unknown);
    CHECK_THAT(v.detail, Catch::Contains("does not verify"));
  }
}

TEST_CASE("OCSP: good, revoked, responder down") {
  revocation_lab lab;
  auto trust = lab.trust();
  trust.revocation.ocsp.enabled = true;
  trust.revocation.check = config::revocation_check::leaf;
  log_capture logs;
  auto c = checker::create(trust, logs.options());

  const auto good = c->check_blocking(lab.chain("good"));
  INFO(describe(good));
  CHECK(good.status == revocation_status::good);
  CHECK(good.source == "ocsp " + lab.url("/ocsp/issuing-ca"));

  const auto revoked = c->check_blocking(lab.chain("revoked"));
  INFO(describe(revoked));
  CHECK(revoked.status == revocation_status::revoked);
  CHECK_THAT(revoked.detail, Catch::Contains("keyCompromise"));

  // Cached: asking again sends nothing.
  CHECK(c->check_blocking(lab.chain("good")).status == revocation_status::good);
  CHECK(lab.hits("/ocsp/issuing-ca") == 2);

  lab.set_down(true);
  const auto down = c->check_blocking(lab.chain("victim"));
  INFO(describe(down));
  CHECK(down.status == revocation_status::unknown);
  CHECK(down.reason == errc::revocation_unknown);
  CHECK(c->stats().ocsp_failures == 1);
}

TEST_CASE("OCSP: the chain's CA through the root's responder, a nonce, a responder override") {
  revocation_lab lab;
  auto trust = lab.trust();
  trust.revocation.ocsp.enabled = true;
  trust.revocation.ocsp.nonce = true;
  auto c = checker::create(trust);
  const auto v = c->check_blocking(lab.chain("good"));
  INFO(describe(v));
  CHECK(v.status == revocation_status::good);
  CHECK(lab.hits("/ocsp/root-ca") == 1);

  // `bare` names no responder: unknown, unless ocsp.responder says where to ask.
  trust.revocation.check = config::revocation_check::leaf;
  auto no_aia = checker::create(trust);
  CHECK(no_aia->check_blocking(lab.chain("bare")).status == revocation_status::unknown);
  trust.revocation.ocsp.responder = lab.url("/ocsp/issuing-ca");
  auto overridden = checker::create(trust);
  CHECK(overridden->check_blocking(lab.chain("bare")).status == revocation_status::good);
}

TEST_CASE("OCSP: concurrent checks of one certificate make one request") {
  revocation_lab lab;
  auto trust = lab.trust();
  trust.revocation.ocsp.enabled = true;
  trust.revocation.ocsp.cache_ttl = 0ms;  // no cache: only single-flight can keep this to one request
  trust.revocation.check = config::revocation_check::leaf;
  auto c = checker::create(trust);
  lab.set_delay(500ms);
  boost::asio::io_context io;
  std::vector<revocation_status> results;
  for (int i = 0; i < 8; ++i) {
    boost::asio::co_spawn(
        io, [&]() -> boost::asio::awaitable<void> {
          auto v = co_await c->check(lab.chain("good"));
          results.push_back(v.status);
        },
        boost::asio::detached);
  }
  io.run();
  REQUIRE(results.size() == 8);
  for (auto s : results) CHECK(s == revocation_status::good);
  CHECK(lab.hits("/ocsp/issuing-ca") == 1);
  CHECK(c->stats().coalesced == 7);
}

TEST_CASE("any source saying revoked wins over another's good") {
  revocation_lab lab;
  auto trust = with_crl_files(lab, {"issuing-ca.crl"});  // made before the revocation: victim is good there
  trust.revocation.ocsp.enabled = true;
  trust.revocation.check = config::revocation_check::leaf;
  cba::test::write_file(lab.file("old-issuing-ca.crl"), cba::test::read_file(lab.file("issuing-ca.crl")));
  trust.revocation.crl_files = {lab.file("old-issuing-ca.crl")};
  lab.revoke("issuing-ca", "victim");  // OCSP reads index.txt: revoked now
  auto c = checker::create(trust);
  const auto v = c->check_blocking(lab.chain("victim"));
  INFO(describe(v));
  CHECK(v.status == revocation_status::revoked);
  REQUIRE(v.certificates.size() == 1);
  REQUIRE(v.certificates[0].answers.size() == 2);
  CHECK(v.certificates[0].answers[0].status == revocation_status::good);
  CHECK(v.certificates[0].answers[1].status == revocation_status::revoked);
  CHECK_THAT(v.source, Catch::StartsWith("ocsp "));
}

TEST_CASE("metrics text names every outcome") {
  revocation_lab lab;
  auto c = checker::create(with_crl_files(lab, {"issuing-ca.crl", "root-ca.crl"}));
  c->check_blocking(lab.chain("revoked"));
  const auto text = c->render_prometheus();
  CHECK_THAT(text, Catch::Contains("cba_revocation_checks_total{outcome=\"revoked\"} 1"));
  CHECK_THAT(text, Catch::Contains("cba_revocation_crl_files 2"));
}
