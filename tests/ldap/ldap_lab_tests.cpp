// The LDAP client against a real AD DC (Samba 4.17, tests/lab). ctest starts the lab once (fixture
// `lab`); tests tagged [outage] stop and restart it and run alone (RUN_SERIAL).
#include "ldap/error.hpp"
#include "ldap/ldap_directory.hpp"
#include "tests/ldap/lab_env.hpp"
#include "tests/ldap/tcp_relay.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <csignal>
#include <thread>

using namespace cba;
using cba::test::lab_env;
using cba::test::lookup_now;
using cba::test::samba_outage;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

// libldap writes to sockets the server may have closed; like cba-proxy's main, never die of SIGPIPE.
const bool sigpipe_ignored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

unsigned short closed_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

// Polls `pred` every 100 ms until it holds or `limit` passes.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return pred();
}

void check_lab_accounts(ldap::directory& dir) {
  const auto& lab = lab_env::get();
  const auto alice = lookup_now(dir, "alice@example.test");
  INFO((alice.has_value() ? std::string("found") : alice.error().message()));
  REQUIRE(alice.has_value());
  CHECK(alice->sam_account_name == "alice");
  CHECK(alice->upn == "alice@example.test");
  CHECK(alice->sid == lab.at("LAB_ALICE_SID"));
  CHECK(alice->dn == "CN=alice,CN=Users," + lab.at("LAB_BASE_DN"));
  CHECK_FALSE(alice->disabled);
  CHECK_FALSE(alice->locked);
  CHECK_FALSE(alice->expires);

  const auto bob = lookup_now(dir, "bob@example.test");
  REQUIRE(bob.has_value());
  CHECK(bob->disabled);
  CHECK(bob->sid == lab.at("LAB_BOB_SID"));

  const auto carol = lookup_now(dir, "carol@corp.example");
  REQUIRE(carol.has_value());
  CHECK(carol->sam_account_name == "carol");
  CHECK(carol->sid == lab.at("LAB_CAROL_SID"));

  const auto dave = lookup_now(dir, "dave@example.test");
  REQUIRE(dave.has_value());
  REQUIRE(dave->expires);
  CHECK(std::chrono::system_clock::to_time_t(*dave->expires) == 1577836800);  // 2020-01-01
  CHECK_FALSE(dave->disabled);

  const auto erin = lookup_now(dir, "erin@example.test");
  REQUIRE(erin.has_value());
  CHECK(erin->locked);
  CHECK_FALSE(erin->disabled);
  CHECK(erin->sid == lab.at("LAB_ERIN_SID"));

  CHECK(lookup_now(dir, "nobody@example.test").error() == ldap::errc::not_found);
  // AD compares UPNs case-insensitively.
  const auto upper = lookup_now(dir, "ALICE@EXAMPLE.TEST");
  REQUIRE(upper.has_value());
  CHECK(upper->sam_account_name == "alice");
}

}  // namespace

TEST_CASE("lab: lookups over ldaps:// decode alice, bob, carol, dave, erin and refuse unknown UPNs", "[lab]") {
  const auto& lab = lab_env::get();
  ldap::ldap_directory dir(lab.options(lab.at("LAB_LDAPS_URL")));
  check_lab_accounts(dir);
  CHECK(dir.ready());
}

TEST_CASE("lab: lookups over ldap:// with StartTLS", "[lab]") {
  const auto& lab = lab_env::get();
  auto options = lab.options(lab.at("LAB_LDAP_URL"));
  options.client.start_tls = true;
  ldap::ldap_directory dir(options);
  check_lab_accounts(dir);
}

TEST_CASE("lab: injection UPNs match nothing and break nothing", "[lab]") {
  const auto& lab = lab_env::get();
  ldap::ldap_directory dir(lab.options(lab.at("LAB_LDAPS_URL")));
  for (const std::string& upn : std::vector<std::string>{"*)(userPrincipalName=*", "*", "alice@example.test)(|(cn=*",
                                "*@example.test", "alice@example.test\\", std::string("alice@example.test\0x", 20),
                                "(", ")"}) {
    INFO("UPN: " << upn);
    const auto r = lookup_now(dir, upn);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == ldap::errc::not_found);
  }
  // The connection is still good afterwards.
  CHECK(lookup_now(dir, "alice@example.test").has_value());
}

TEST_CASE("lab: twenty concurrent lookups over a pool of two each get their own account", "[lab]") {
  const auto& lab = lab_env::get();
  ldap::ldap_directory dir(lab.options(lab.at("LAB_LDAPS_URL")));
  asio::io_context io;
  std::vector<std::pair<std::string, ldap::lookup_result>> results;
  for (int round = 0; round < 2; ++round) {
    for (int i = 1; i <= 20; ++i) {
      const std::string sam = (i < 10 ? "user0" : "user") + std::to_string(i);
      asio::co_spawn(io, [&, sam]() -> asio::awaitable<void> {
        auto r = co_await dir.lookup(sam + "@example.test");
        results.emplace_back(sam, std::move(r));
      }, asio::detached);
    }
  }
  io.run_for(30s);
  REQUIRE(results.size() == 40);
  for (const auto& [sam, r] : results) {
    INFO(sam << ": " << (r.has_value() ? std::string("found") : r.error().message()));
    REQUIRE(r.has_value());
    CHECK(r->sam_account_name == sam);
    CHECK(r->sid.starts_with(lab.at("LAB_DOMAIN_SID") + "-"));
  }
}

TEST_CASE("lab: the first URL a closed port, the lookup fails over to the DC within the timeout", "[lab]") {
  const auto& lab = lab_env::get();
  auto options = lab.options("ldaps://127.0.0.1:" + std::to_string(closed_port()));
  options.client.urls.push_back(lab.at("LAB_LDAPS_URL"));
  ldap::ldap_directory dir(options);
  // A lookup that misses its deadline fails with errc::timeout: success means failover within it.
  const auto alice = lookup_now(dir, "alice@example.test");
  INFO((alice.has_value() ? std::string("found") : alice.error().message() + "; " + dir.last_error()));
  REQUIRE(alice.has_value());
  CHECK(alice->sid == lab.at("LAB_ALICE_SID"));
  CHECK_THAT(dir.last_error(), Catch::Contains("127.0.0.1"));
  CHECK(dir.ready());
}

TEST_CASE("lab: only a closed port configured: unavailable, not ready", "[lab]") {
  const auto& lab = lab_env::get();
  ldap::ldap_directory dir(lab.options("ldaps://127.0.0.1:" + std::to_string(closed_port())));
  const auto r = lookup_now(dir, "alice@example.test");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == ldap::errc::unavailable);
  CHECK(ldap::is_fatal(r.error()));
  CHECK_FALSE(dir.ready());
  CHECK_THAT(dir.last_error(), Catch::Contains("Can't contact LDAP server"));
}

TEST_CASE("lab: a DC certificate the configured CA did not issue is refused", "[lab]") {
  const auto& lab = lab_env::get();
  test::temp_dir tmp("cba-ldap-lab");
  // A self-signed CA unrelated to the DC's.
  const auto ca = tmp.file("other-ca.pem");
  const auto key = tmp.file("other-ca.key");
  REQUIRE(std::system(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "
                       "/CN=Other -keyout '" + key + "' -out '" + ca + "' 2>/dev/null").c_str()) == 0);
  auto options = lab.options(lab.at("LAB_LDAPS_URL"));
  options.client.ca_file = ca;
  ldap::ldap_directory ldaps(options);
  CHECK(lookup_now(ldaps, "alice@example.test").error() == ldap::errc::unavailable);
  CHECK_FALSE(ldaps.ready());

  auto starttls = lab.options(lab.at("LAB_LDAP_URL"));
  starttls.client.ca_file = ca;
  starttls.client.start_tls = true;
  ldap::ldap_directory tls(starttls);
  CHECK(lookup_now(tls, "alice@example.test").error() == ldap::errc::unavailable);
  CHECK_THAT(tls.last_error(), Catch::Contains("StartTLS"));
}

TEST_CASE("lab: a wrong bind password, or a simple bind without TLS, never gets a connection", "[lab]") {
  const auto& lab = lab_env::get();
  test::temp_dir tmp("cba-ldap-lab");
  tmp.write("wrong.pw", "not-the-password\n");
  auto wrong = lab.options(lab.at("LAB_LDAPS_URL"));
  wrong.client.bind_password_file = tmp.file("wrong.pw");
  ldap::ldap_directory bad(wrong);
  CHECK(lookup_now(bad, "alice@example.test").error() == ldap::errc::unavailable);
  CHECK_THAT(bad.last_error(), Catch::Contains("Invalid credentials"));
  CHECK_THAT(bad.last_error(), !Catch::Contains("not-the-password"));

  // Config validation refuses this combination (tests/directory); the DC refuses it too.
  ldap::ldap_directory plain(lab.options(lab.at("LAB_LDAP_URL")));
  CHECK(lookup_now(plain, "alice@example.test").error() == ldap::errc::unavailable);
  CHECK_THAT(plain.last_error(), Catch::Contains("Strong"));
}

TEST_CASE("lab: cache hits and misses show in the counters", "[lab]") {
  const auto& lab = lab_env::get();
  auto options = lab.options(lab.at("LAB_LDAPS_URL"));
  options.cache.ttl = 5min;
  options.cache.negative_ttl = 30s;
  ldap::ldap_directory dir(options);
  REQUIRE(lookup_now(dir, "alice@example.test").has_value());
  REQUIRE(lookup_now(dir, "Alice@Example.Test").has_value());
  CHECK(lookup_now(dir, "nobody@example.test").error() == ldap::errc::not_found);
  CHECK(lookup_now(dir, "nobody@example.test").error() == ldap::errc::not_found);
  const auto s = dir.stats();
  CHECK(s.hits == 2);
  CHECK(s.misses == 2);
  CHECK(s.queries == 2);  // Samba returns the computed attribute in the subtree search: no base read
  CHECK(s.errors == 0);
  CHECK(s.cache_entries == 2);
}

TEST_CASE("lab: DC stopped gives unavailable and not ready, restarted the same client recovers",
          "[lab][outage]") {
  const auto& lab = lab_env::get();
  auto options = lab.options(lab.at("LAB_LDAPS_URL"));
  options.client.backoff_initial = 200ms;
  options.client.backoff_max = 1s;
  options.cache.ttl = 5min;  // a cached account keeps being served during the outage
  ldap::ldap_directory dir(options);
  REQUIRE(lookup_now(dir, "alice@example.test").has_value());
  REQUIRE(dir.ready());

  const samba_outage outage(lab);  // whatever happens next, the lab runs again for the other tests
  INFO(outage.log());
  REQUIRE(outage.stopped());

  CHECK(eventually([&] { return !dir.ready(); }, 10s));
  const auto down = lookup_now(dir, "bob@example.test");
  REQUIRE_FALSE(down.has_value());
  CHECK(down.error() == ldap::errc::unavailable);
  CHECK(lookup_now(dir, "alice@example.test").has_value());  // from the cache
  const auto errors_during = dir.stats().errors;
  CHECK(errors_during >= 1);

  std::string log;
  const bool started = lab.samba_up(log);
  INFO(log);
  REQUIRE(started);
  CHECK(eventually([&] { return dir.ready(); }, 20s));
  CHECK(eventually([&] { return lookup_now(dir, "bob@example.test").has_value(); }, 10s));
  const auto bob = lookup_now(dir, "bob@example.test");
  REQUIRE(bob.has_value());
  CHECK(bob->disabled);
}

TEST_CASE("lab: connections the DC dropped while idle are replaced, the lookup does not fail", "[lab]") {
  const auto& lab = lab_env::get();
  test::tcp_relay relay(static_cast<unsigned short>(std::stoi(lab.at("LAB_LDAPS_PORT"))));
  ldap::ldap_directory dir(lab.options("ldaps://127.0.0.1:" + std::to_string(relay.port())));
  REQUIRE(lookup_now(dir, "alice@example.test").has_value());
  for (int round = 0; round < 3; ++round) {
    relay.drop_all();
    const auto r = lookup_now(dir, "bob@example.test");
    INFO("round " << round << ": " << (r.has_value() ? std::string("found") : r.error().message()));
    REQUIRE(r.has_value());
    CHECK(r->disabled);
  }
  CHECK(relay.accepted() >= 4);  // a new connection each time
  CHECK(dir.ready());
}

TEST_CASE("lab: a DC that stops answering times the lookup out, the next connection works", "[lab]") {
  const auto& lab = lab_env::get();
  test::tcp_relay relay(static_cast<unsigned short>(std::stoi(lab.at("LAB_LDAPS_PORT"))));
  auto options = lab.options("ldaps://127.0.0.1:" + std::to_string(relay.port()));
  options.client.timeout = 1s;
  ldap::ldap_directory dir(options);
  REQUIRE(lookup_now(dir, "alice@example.test").has_value());
  relay.blackhole(true);
  const auto hung = lookup_now(dir, "bob@example.test");
  REQUIRE_FALSE(hung.has_value());
  CHECK(hung.error() == ldap::errc::timeout);
  CHECK(ldap::is_fatal(hung.error()));
  // The timed-out connection was abandoned and dropped; a fresh one works once the DC answers.
  relay.blackhole(false);
  relay.drop_all();
  CHECK(eventually([&] { return lookup_now(dir, "bob@example.test").has_value(); }, 10s));
  CHECK(relay.accepted() >= 2);
}

namespace {

// MIT reads its configuration from KRB5_CONFIG when a context is created (the proxy sets it from
// kerberos.krb5_conf at start-up); the lab's file names its KDC on loopback.
void use_lab_krb5_config() {
  ::setenv("KRB5_CONFIG", lab_env::get().at("LAB_KRB5_CONFIG").c_str(), 1);
}

ldap::ldap_directory_options gssapi_options(const std::string& principal) {
  const auto& lab = lab_env::get();
  auto options = lab.options(lab.at("LAB_LDAP_URL"));
  options.client.bind = ldap::client_options::bind_method::gssapi;
  options.client.bind_keytab = lab.at("LAB_SVC_KEYTAB");
  options.client.bind_principal = principal;
  options.client.bind_password_file.clear();
  return options;
}

}  // namespace

TEST_CASE("lab: SASL GSSAPI bind with the service keytab over sealed ldap://", "[lab]") {
  use_lab_krb5_config();
  const auto& lab = lab_env::get();
  SECTION("the principal named") {
    ldap::ldap_directory dir(gssapi_options(lab.at("LAB_SVC_PRINCIPAL")));
    check_lab_accounts(dir);
    CHECK(dir.ready());
  }
  SECTION("the keytab's first principal") {
    ldap::ldap_directory dir(gssapi_options(""));
    check_lab_accounts(dir);
  }
}

TEST_CASE("lab: a GSSAPI bind with a principal the keytab lacks never gets a connection", "[lab]") {
  use_lab_krb5_config();
  ldap::ldap_directory dir(gssapi_options("alice@EXAMPLE.TEST"));
  CHECK(lookup_now(dir, "alice@example.test").error() == ldap::errc::unavailable);
  CHECK_THAT(dir.last_error(), Catch::Contains("keytab") && Catch::Contains("alice@EXAMPLE.TEST"));
  CHECK_FALSE(dir.ready());
}
