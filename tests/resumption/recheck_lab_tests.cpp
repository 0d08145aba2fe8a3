// trust.recheck_interval against the Samba AD lab (fixture `lab`): an account disabled in AD while its
// connection stays open is refused on the next request after the interval, and the connection closes.
// Uses an account of its own (cba-recheck), created and deleted here over LDAPS as Administrator, so
// no other test's accounts change under it.
#include "tests/ldap/lab_env.hpp"
#include "tests/resumption/proxy_instance.hpp"
#include "tests/resumption/session_client.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <thread>

using namespace cba::test;
using namespace std::chrono_literals;

namespace {

const bool process_set_up = [] {
  std::signal(SIGPIPE, SIG_IGN);
  ::setenv("CBA_TEST_PKI_DIR", CBA_DEFAULT_PKI_DIR, 0);
  ::setenv("CBA_LAB_DIR", CBA_DEFAULT_LAB_DIR, 0);
  return true;
}();

const std::string account_dn = "CN=cba-recheck,CN=Users,DC=example,DC=test";

// ldapmodify/ldapadd/ldapdelete as Administrator over LDAPS with `ldif` on stdin.
process_result ldap_admin(const std::string& tool, const std::vector<std::string>& extra, const std::string& ldif = {}) {
  const auto& lab = lab_env::get();
  std::vector<std::string> argv{"env", "LDAPTLS_CACERT=" + lab.at("LAB_CA"), "LDAPTLS_REQCERT=demand", tool, "-x",
                                "-H", lab.at("LAB_LDAPS_URL"), "-D", "Administrator@example.test", "-y",
                                lab.at("LAB_ADMIN_PW_FILE")};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_process(argv, 30s, ldif);
}

void set_account_control(const std::string& value) {
  const auto r = ldap_admin("ldapmodify", {}, "dn: " + account_dn + "\nchangetype: modify\nreplace: userAccountControl\n"
                                              "userAccountControl: " + value + "\n");
  REQUIRE(r.ok());
}

// The account (enabled: NORMAL_ACCOUNT | PASSWD_NOTREQD; the proxy never needs its password) for the
// lifetime of the object.
struct lab_account {
  lab_account() {
    ldap_admin("ldapdelete", {account_dn});  // left over by an interrupted run
    const auto r = ldap_admin("ldapadd", {}, "dn: " + account_dn + "\nobjectClass: user\nsAMAccountName: cba-recheck\n"
                                             "userPrincipalName: cba-recheck@example.test\nuserAccountControl: 544\n");
    INFO(r.describe());
    REQUIRE(r.ok());
  }
  ~lab_account() { ldap_admin("ldapdelete", {account_dn}); }
};

// A client certificate for cba-recheck@example.test from the test PKI's issuing CA.
void issue_certificate(const temp_dir& dir) {
  const auto& pki = test_pki::get();
  const auto ext = dir.write("leaf.ext", "basicConstraints = critical, CA:FALSE\n"
                                         "keyUsage = critical, digitalSignature\n"
                                         "extendedKeyUsage = clientAuth\n"
                                         "subjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:cba-recheck@example.test\n");
  const auto r = run_process(
      {"bash", "-c",
       "set -euo pipefail; openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout \"$1/leaf.key\" "
       "-subj /CN=cba-recheck 2>/dev/null | openssl x509 -req -CA \"$2/issuing-ca.pem\" -CAkey \"$2/issuing-ca.key\" "
       "-set_serial 0x$(openssl rand -hex 12) -days 2 -sha256 -extfile \"$3\" -out \"$1/leaf.pem\" 2>/dev/null",
       "issue", dir.path().string(), pki.dir(), ext},
      60s);
  INFO(r.describe());
  REQUIRE(r.ok());
}

std::string ldap_source() {
  const auto& lab = lab_env::get();
  const auto q = [](const std::string& s) { return "\"" + s + "\""; };
  return "  type: ldap\n"
         "  ldap:\n"
         "    urls: [" + q(lab.at("LAB_LDAPS_URL")) + "]\n"
         "    ca: " + q(lab.at("LAB_CA")) + "\n"
         "    bind: {method: simple, dn: " + q(lab.at("LAB_BIND_DN")) + ", password_file: " +
         q(lab.at("LAB_BIND_PW_FILE")) + "}\n"
         "    base_dn: " + q(lab.at("LAB_BASE_DN")) + "\n"
         "    timeout: 3s\n"
         "    cache: {ttl: 500ms, negative_ttl: 500ms, max_entries: 100}\n";
}

}  // namespace

TEST_CASE("recheck: an account disabled in AD mid-connection is refused after recheck_interval", "[lab]") {
  const lab_account account;
  const temp_dir dir("cba-recheck");
  issue_certificate(dir);
  instance_options options;
  options.recheck_interval = "1s";
  options.directory_source = ldap_source();
  proxy_instance proxy(options);
  auto client_options = proxy.client("alice");
  client_options.cert_file = dir.file("leaf.pem");
  client_options.key_file = dir.file("leaf.key");

  session_client client(client_options);
  REQUIRE(client.connect(proxy.port()));
  const auto first = client.get("/");
  INFO(first.head << first.body);
  REQUIRE(first.status == 200);
  REQUIRE(proxy.upstream().requests().size() == 1);
  CHECK(proxy.upstream().requests().back().header("X-Remote-User") == "cba-recheck");

  set_account_control("546");  // ACCOUNTDISABLE added
  std::this_thread::sleep_for(1500ms);  // past recheck_interval and the cache ttl: no upper bound asserted

  const auto second = client.get("/after-disable");
  CHECK(second.status == 403);
  CHECK_THAT(second.body, Catch::Contains("account_disabled"));
  CHECK(client.closed_by_peer());
  CHECK(proxy.upstream().requests().size() == 1);
  CHECK(proxy.wait_for_log({"identity_rechecked", "\"status\":\"refused\"", "account_disabled"}, 10s));

  // A new connection (full handshake) is refused the same way: the account check, not the re-check.
  set_account_control("544");
  std::this_thread::sleep_for(600ms);  // the cache ttl
  session_client again(client_options);
  REQUIRE(again.connect(proxy.port()));
  CHECK(again.get("/enabled-again").status == 200);
}
