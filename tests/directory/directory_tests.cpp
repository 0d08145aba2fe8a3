// cba-proxy with directory.type: ldap against the Samba AD lab (fixture `lab`), through curl with real
// client certificates: who is admitted with which AD identity, the account-state refusals, a DC outage
// (503 and /readyz 503) and the recovery without restarting the proxy.
#include "config/load.hpp"
#include "tests/integration/proxy_fixture.hpp"
#include "tests/ldap/lab_env.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_process_setup.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

using namespace cba;
using namespace cba::test;
using namespace std::chrono_literals;

namespace {

const bool process_set_up = [] {
  set_up_test_process(CBA_DEFAULT_PKI_DIR, CBA_DEFAULT_LAB_DIR);
  return true;
}();

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// The directory block's source lines for the lab DC.
std::string ldap_source(const std::vector<std::string>& urls, bool start_tls = false) {
  const auto& lab = lab_env::get();
  std::string list;
  for (const auto& url : urls) list += (list.empty() ? "" : ", ") + quoted(url);
  std::string y;
  y += "  type: ldap\n";
  y += "  ldap:\n";
  y += "    urls: [" + list + "]\n";
  if (start_tls) y += "    start_tls: true\n";
  y += "    ca: " + quoted(lab.at("LAB_CA")) + "\n";
  y += "    bind: {method: simple, dn: " + quoted(lab.at("LAB_BIND_DN")) +
       ", password_file: " + quoted(lab.at("LAB_BIND_PW_FILE")) + "}\n";
  y += "    base_dn: " + quoted(lab.at("LAB_BASE_DN")) + "\n";
  y += "    timeout: 3s\n";
  y += "    pool_size: 2\n";
  y += "    cache: {ttl: 5m, negative_ttl: 30s, max_entries: 1000}\n";
  return y;
}

proxy_options lab_options(std::vector<std::string> urls = {}, bool start_tls = false) {
  if (urls.empty()) urls.push_back(lab_env::get().at("LAB_LDAPS_URL"));
  proxy_options o;
  o.directory_source = ldap_source(urls, start_tls);
  o.certificate_mapping = "upn";
  return o;
}

// Certificates for dave, erin, carol, the injection UPNs and alice with her AD SID (tests/directory/make-lab-client-certs.sh).
const temp_dir& lab_certs() {
  static const temp_dir dir("cba-lab-certs");
  static const bool made = [] {
    const auto r = run_process({std::string(CBA_SOURCE_DIR) + "/tests/directory/make-lab-client-certs.sh",
                                test_pki::get().dir(), dir.path().string(), lab_env::get().at("LAB_ALICE_SID")},
                               60s);
    if (!r.ok()) throw std::runtime_error("make-lab-client-certs.sh failed: " + r.describe());
    return true;
  }();
  (void)made;
  return dir;
}

http_result curl_as(const proxy_fixture& fx, const std::string& lab_client, std::string_view path) {
  const auto& certs = lab_certs();
  return fx.curl("", path, {"--cert", certs.file(lab_client + ".pem"), "--key", certs.file(lab_client + ".key")});
}

unsigned admin_status(const proxy_fixture& fx, const std::string& path) {
  REQUIRE(fx.admin_endpoint());
  const auto url = "http://127.0.0.1:" + std::to_string(fx.admin_endpoint()->port()) + path;
  const auto r = run_process({"curl", "-s", "--noproxy", "*", "--max-time", "10", "-o", "/dev/null", "-w",
                              "%{http_code}", url},
                             20s);
  return static_cast<unsigned>(std::stoul("0" + r.out));
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return pred();
}

// Replaces alice's altSecurityIdentities in the lab's AD (tests/lab/samba-up applies
// LABDIR/alice-altsecid.txt to the running DC); no values: the attribute is removed.
void set_alice_altsecids(const std::vector<std::string>& values) {
  const auto& lab = lab_env::get();
  const std::string file = lab.at("LAB_ALICE_ALTSECID_FILE");
  if (values.empty()) {
    std::remove(file.c_str());
  } else {
    std::ofstream out(file, std::ios::trunc);
    for (const auto& v : values) out << v << "\n";
  }
  std::string log;
  const bool applied = lab.samba_up(log);
  INFO(log);
  REQUIRE(applied);
}

// The values tests/lab/altsecid-from-cert computes with openssl: an implementation independent of
// the proxy's own (proxy/tls/alt_security_identity.cpp).
std::vector<std::string> altsecids_from_cert(const std::string& pem, const std::string& kind) {
  const auto r = run_process({std::string(CBA_SOURCE_DIR) + "/tests/lab/altsecid-from-cert", pem, kind}, 30s);
  INFO(r.describe());
  REQUIRE(r.ok());
  std::vector<std::string> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  REQUIRE(lines.size() == 1);
  return lines;
}

// The access line is written once the response has gone out, so it can trail curl's exit: wait for it.
bool log_has(const proxy_fixture& fx, std::initializer_list<std::string_view> parts) {
  return fx.wait_for_log(
      [&](const std::string& line) {
        for (auto part : parts) {
          if (line.find(part) == std::string::npos) return false;
        }
        return true;
      },
      5s);
}

void check_refused(const http_result& r, const std::string& reason) {
  INFO(r.describe());
  CHECK(r.status == 403);
  CHECK(r.body.find("reason: " + reason) != std::string::npos);
}

}  // namespace

TEST_CASE("directory: alice is admitted with her sAMAccountName and SID from AD", "[lab]") {
  const auto& lab = lab_env::get();
  proxy_fixture fx(lab_options());
  CHECK(eventually([&] { return admin_status(fx, "/readyz") == 200; }, 10s));
  const auto r = fx.curl("alice", "/owa/");
  INFO(r.describe());
  REQUIRE(r.status == 200);
  REQUIRE(fx.upstream().wait_for_requests(1, 5s));
  const auto req = *fx.upstream().request(0);
  CHECK(req.header_values("X-Remote-User") == std::vector<std::string>{"alice"});
  CHECK(req.header("X-Client-UPN") == "alice@example.test");
  CHECK(req.header("X-Client-SID") == lab.at("LAB_ALICE_SID"));

  const auto carol = curl_as(fx, "carol", "/owa/");
  INFO(carol.describe());
  REQUIRE(carol.status == 200);
  REQUIRE(fx.upstream().wait_for_requests(2, 5s));
  const auto carol_req = *fx.upstream().request(1);
  CHECK(carol_req.header_values("X-Remote-User") == std::vector<std::string>{"carol"});
  CHECK(carol_req.header("X-Client-SID") == lab.at("LAB_CAROL_SID"));
}

TEST_CASE("directory: a SASL GSSAPI bind with the service keytab over sealed ldap:// serves the proxy", "[lab]") {
  const auto& lab = lab_env::get();
  // MIT reads KRB5_CONFIG when a context is created; the lab's file names the KDC on loopback.
  ::setenv("KRB5_CONFIG", lab.at("LAB_KRB5_CONFIG").c_str(), 1);
  proxy_options o;
  o.certificate_mapping = "upn";
  o.directory_source = "  type: ldap\n"
                       "  ldap:\n"
                       "    urls: [" + quoted(lab.at("LAB_LDAP_URL")) + "]\n"
                       "    bind: {method: gssapi, keytab: " + quoted(lab.at("LAB_SVC_KEYTAB")) +
                       ", principal: " + quoted(lab.at("LAB_SVC_PRINCIPAL")) + "}\n"
                       "    base_dn: " + quoted(lab.at("LAB_BASE_DN")) + "\n";
  proxy_fixture fx(o);
  const auto r = fx.curl("alice", "/owa/");
  INFO(r.describe());
  REQUIRE(r.status == 200);
  REQUIRE(fx.upstream().wait_for_requests(1, 5s));
  CHECK(fx.upstream().request(0)->header("X-Client-SID") == lab.at("LAB_ALICE_SID"));
  check_refused(fx.curl("bob", "/"), "account_disabled");
}

TEST_CASE("directory: disabled, expired, locked and unknown accounts are refused with 403", "[lab]") {
  proxy_fixture fx(lab_options());
  check_refused(fx.curl("bob", "/"), "account_disabled");
  check_refused(curl_as(fx, "dave", "/"), "account_expired");
  check_refused(curl_as(fx, "erin", "/"), "account_locked");
  check_refused(fx.curl("unknown", "/"), "account_unknown");
  CHECK(fx.upstream().progress().requests_started == 0);
}

TEST_CASE("directory: injection UPNs match nothing and the directory keeps working", "[lab]") {
  proxy_fixture fx(lab_options());
  check_refused(curl_as(fx, "star", "/"), "account_unknown");
  check_refused(curl_as(fx, "injection", "/"), "account_unknown");
  const auto alice = fx.curl("alice", "/");
  INFO(alice.describe());
  CHECK(alice.status == 200);
  CHECK(fx.upstream().progress().requests_started == 1);
}

TEST_CASE("directory: StartTLS, and a first URL on a closed port fails over", "[lab]") {
  const auto& lab = lab_env::get();
  {
    proxy_fixture fx(lab_options({lab.at("LAB_LDAP_URL")}, true));
    const auto r = fx.curl("alice", "/");
    INFO(r.describe());
    CHECK(r.status == 200);
  }
  proxy_fixture fx(lab_options({"ldaps://127.0.0.1:" + std::to_string(closed_port()), lab.at("LAB_LDAPS_URL")}));
  const auto r = fx.curl("alice", "/");
  INFO(r.describe());
  CHECK(r.status == 200);
}

TEST_CASE("directory: simple bind over plain ldap:// is refused by config validation", "[lab]") {
  proxy_options o = lab_options({lab_env::get().at("LAB_LDAP_URL")});
  const std::string yaml = "directory:\n" + o.directory_source + "  certificate_mapping: upn\n";
  // Only the directory block matters here; the rest of a config is not needed to see this problem.
  const auto loaded = config::load_text(yaml, "cba.yaml", "/", nullptr);
  bool found = false;
  for (const auto& p : loaded.problems) {
    if (p.key_path == "directory.ldap.bind.method") {
      found = true;
      CHECK_THAT(p.message, Catch::Contains("simple bind sends the password in clear"));
    }
  }
  CHECK(found);
  CHECK_FALSE(loaded.config);
}

TEST_CASE("directory: a DC outage gives 503 and /readyz 503, then recovers without a restart",
          "[lab][outage]") {
  const auto& lab = lab_env::get();
  proxy_fixture fx(lab_options());
  REQUIRE(eventually([&] { return admin_status(fx, "/readyz") == 200; }, 10s));
  const auto before = fx.curl("alice", "/");
  INFO(before.describe());
  REQUIRE(before.status == 200);

  const samba_outage outage(lab);
  INFO(outage.log());
  REQUIRE(outage.stopped());

  CHECK(eventually([&] { return admin_status(fx, "/readyz") == 503; }, 10s));
  // bob is not cached: his lookup needs the DC.
  const auto down = fx.curl("bob", "/");
  INFO(down.describe());
  CHECK(down.status == 503);
  CHECK(down.body.find("reason: directory_unavailable") != std::string::npos);

  std::string log;
  const bool started = lab.samba_up(log);
  INFO(log);
  REQUIRE(started);
  CHECK(eventually([&] { return admin_status(fx, "/readyz") == 200; }, 20s));
  http_result after;
  CHECK(eventually([&] {
    after = fx.curl("bob", "/");
    return after.status == 403;
  }, 10s));
  INFO(after.describe());
  CHECK(after.body.find("reason: account_disabled") != std::string::npos);
}

TEST_CASE("directory: strong or compatibility mapping is decided by alice's SID and altSecurityIdentities in AD",
          "[lab]") {
  const auto& lab = lab_env::get();
  const std::string alice_pem = test_pki::get().dir() + "/alice.pem";
  struct clear_on_exit {
    ~clear_on_exit() {
      try {
        set_alice_altsecids({});
      } catch (...) {
      }
    }
  } guard;

  auto options = lab_options();
  options.certificate_mapping = "strong";

  SECTION("no altSecurityIdentities: UPN-only refused, the AD SID in the certificate admitted, another SID refused") {
    set_alice_altsecids({});
    proxy_fixture fx(options);
    check_refused(fx.curl("alice", "/owa/"), "mapping_weak");
    const auto sid = curl_as(fx, "alice-lab-sid", "/owa/");
    INFO(sid.describe());
    REQUIRE(sid.status == 200);
    REQUIRE(fx.upstream().wait_for_requests(1, 5s));
    CHECK(fx.upstream().request(0)->header("X-Client-SID") == lab.at("LAB_ALICE_SID"));
    CHECK(log_has(fx, {"\"status\":200", "\"mapping\":\"sid\""}));
    check_refused(fx.curl("alice-wrong-sid", "/owa/"), "sid_mismatch");
    CHECK(fx.upstream().progress().requests_started == 1);
  }

  SECTION("a strong X509:<I>issuer<SR>serial value in AD admits the UPN-only certificate") {
    set_alice_altsecids(altsecids_from_cert(alice_pem, "issuer-serial"));
    proxy_fixture fx(options);
    const auto r = fx.curl("alice", "/owa/");
    INFO(r.describe());
    CHECK(r.status == 200);
    CHECK(log_has(fx, {"\"status\":200", "\"mapping\":\"strong_altsecid:"}));
    // The value names alice's certificate only: bob's own certificate and account are unaffected.
    check_refused(fx.curl("bob", "/owa/"), "account_disabled");
  }

  SECTION("a weak X509:<I>issuer<S>subject value: strong refuses, compatibility admits with a warning") {
    set_alice_altsecids(altsecids_from_cert(alice_pem, "issuer-subject"));
    {
      proxy_fixture fx(options);
      check_refused(fx.curl("alice", "/owa/"), "mapping_weak");
    }
    options.certificate_mapping = "compatibility";
    proxy_fixture fx(options);
    const auto r = fx.curl("alice", "/owa/");
    INFO(r.describe());
    CHECK(r.status == 200);
    CHECK(log_has(fx, {"\"status\":200", "\"mapping\":\"weak_altsecid:", "mapping_warning"}));
    CHECK(log_has(fx, {"weak_certificate_mapping"}));
  }
}
