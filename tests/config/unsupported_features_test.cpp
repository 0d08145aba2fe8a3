// Settings of later features are parsed into the structs but refused for now, at their key.
#include "config/load_anyway.hpp"

#include "config_fixture.hpp"

using namespace cba::config;
using namespace cba::config::test;
using namespace std::chrono_literals;

namespace {

struct anyway_result {
  proxy_config config;
  std::vector<problem> problems;
};

anyway_result load_anyway(const config_dir& dir, const std::string& yaml) {
  anyway_result r;
  r.config = load_text_anyway(yaml, "cba.yaml", dir.str(), nullptr, r.problems);
  return r;
}

std::vector<std::string> formatted(const std::vector<problem>& problems) {
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(format(p));
  return out;
}

const std::string trust_line = "  roots: pki/roots.pem\n";

}  // namespace

TEST_CASE("certificate_mapping accepts strong (the default), compatibility and upn") {
  const config_dir dir;
  const auto r = load(dir, replace(minimal_yaml, "  certificate_mapping: upn\n", ""));
  REQUIRE(r.problems.empty());
  CHECK(r.config->directory.certificate_mapping == certificate_mapping_mode::strong);
  const auto strong = load(dir, replace(minimal_yaml, "certificate_mapping: upn", "certificate_mapping: strong"));
  REQUIRE(strong.problems.empty());
  CHECK(strong.config->directory.certificate_mapping == certificate_mapping_mode::strong);
  const auto compat = load(dir, replace(minimal_yaml, "certificate_mapping: upn", "certificate_mapping: compatibility"));
  REQUIRE(compat.problems.empty());
  CHECK(compat.config->directory.certificate_mapping == certificate_mapping_mode::compatibility);
  const auto bad = load(dir, replace(minimal_yaml, "certificate_mapping: upn", "certificate_mapping: weak"));
  CHECK(only_problem_at(bad, "directory.certificate_mapping").line == 12);
}

TEST_CASE("without a directory section only the missing file directory is reported") {
  const config_dir dir;
  const auto r = load(dir, replace(minimal_yaml, "directory:\n  type: file\n  file: {path: users.yaml}\n  certificate_mapping: upn\n", ""));
  CHECK(only_problem_at(r, "directory.file.path").line == 1);
  CHECK(r.problems.size() == 1);
}

TEST_CASE("directory.type: ldap is accepted, its keys parsed") {
  const config_dir dir;
  const auto r = load_anyway(dir, replace(minimal_yaml, "  type: file\n  file: {path: users.yaml}\n",
                                          "  type: ldap\n"
                                          "  ldap:\n"
                                          "    urls: [ldaps://dc1.example.test:636, ldaps://dc2.example.test:636]\n"
                                          "    ca: pki/ldap-ca.pem\n"
                                          "    bind:\n"
                                          "      method: simple\n"
                                          "      dn: \"CN=svc-cba,CN=Users,DC=example,DC=test\"\n"
                                          "      password_file: secrets/ldap.pw\n"
                                          "    base_dn: \"DC=example,DC=test\"\n"
                                          "    timeout: 4s\n"
                                          "    pool_size: 2\n"
                                          "    cache: {ttl: 1m, negative_ttl: 0s, max_entries: 10}\n"));
  CHECK(formatted(r.problems).empty());
  const auto& l = r.config.directory.ldap;
  CHECK(l.urls == std::vector<std::string>{"ldaps://dc1.example.test:636", "ldaps://dc2.example.test:636"});
  CHECK(l.ca == dir.abs("pki/ldap-ca.pem"));
  CHECK(l.bind.method == ldap_bind_method::simple);
  CHECK(l.bind.dn == "CN=svc-cba,CN=Users,DC=example,DC=test");
  CHECK(l.bind.password_file == dir.abs("secrets/ldap.pw"));
  CHECK(l.base_dn == "DC=example,DC=test");
  CHECK(l.timeout == 4s);
  CHECK(l.pool_size == 2);
  CHECK(l.cache.ttl == 1min);
  CHECK(l.cache.negative_ttl == 0s);
  CHECK(l.cache.max_entries == 10);
  CHECK(l.user_filter == "(&(objectCategory=person)(objectClass=user)(userPrincipalName={upn}))");
}

TEST_CASE("ldap over TLS needs a CA, gssapi needs a keytab") {
  const config_dir dir;
  const auto r = load(dir, replace(minimal_yaml, "  type: file\n  file: {path: users.yaml}\n",
                                   "  type: ldap\n"
                                   "  ldap:\n"
                                   "    urls: [ldap://dc1.example.test]\n"
                                   "    start_tls: true\n"
                                   "    bind: {method: gssapi}\n"
                                   "    base_dn: \"DC=example,DC=test\"\n"));
  CHECK_THAT(only_problem_at(r, "directory.ldap.ca").message, Catch::Contains("system default store is not used"));
  CHECK(only_problem_at(r, "directory.ldap.bind.keytab").message == "required for bind method gssapi");
  CHECK(r.problems.size() == 2);
}

TEST_CASE("gssapi bind: keytab and principal are read; principal is refused for simple bind") {
  const config_dir dir;
  const auto gssapi = load(dir, replace(minimal_yaml, "  type: file\n  file: {path: users.yaml}\n",
                                        "  type: ldap\n"
                                        "  ldap:\n"
                                        "    urls: [ldap://127.0.0.1]\n"
                                        "    bind: {method: gssapi, keytab: secrets/svc-cba.keytab, principal: svc@EXAMPLE.TEST}\n"
                                        "    base_dn: \"DC=example,DC=test\"\n"));
  CHECK(formatted(gssapi.problems).empty());
  REQUIRE(gssapi.config);
  CHECK(gssapi.config->directory.ldap.bind.keytab == dir.abs("secrets/svc-cba.keytab"));
  CHECK(gssapi.config->directory.ldap.bind.principal == "svc@EXAMPLE.TEST");

  const auto simple = load(dir, replace(minimal_yaml, "  type: file\n  file: {path: users.yaml}\n",
                                        "  type: ldap\n"
                                        "  ldap:\n"
                                        "    urls: [ldaps://127.0.0.1]\n"
                                        "    ca: pki/ldap-ca.pem\n"
                                        "    bind: {method: simple, dn: x, password_file: secrets/ldap.pw, principal: svc@EXAMPLE.TEST}\n"
                                        "    base_dn: \"DC=example,DC=test\"\n"));
  CHECK(only_problem_at(simple, "directory.ldap.bind.principal").message == "only used by bind method gssapi");
}

TEST_CASE("revocation keys parse; a mode without a source and a responder without OCSP are refused") {
  const config_dir dir;
  const auto r = load(dir, replace(minimal_yaml, trust_line,
                                   trust_line +
                                       "  revocation:\n"
                                       "    mode: soft\n"
                                       "    check: leaf\n"
                                       "    crl_files: [pki/issuing.crl]\n"
                                       "    fetch_distribution_points: true\n"
                                       "    refresh: 1m\n"
                                       "    fetch_timeout: 3s\n"
                                       "    max_crl_bytes: 2MiB\n"
                                       "    stale_if_error: 10m\n"
                                       "    ocsp: {enabled: true, timeout: 1s, cache_ttl: 5m, responder: "
                                       "\"http://127.0.0.1:8888/ocsp\", nonce: true}\n"));
  INFO(all_problems(r));
  REQUIRE(r.config);
  const auto& rev = r.config->trust.revocation;
  CHECK(rev.mode == revocation_mode::soft);
  CHECK(rev.check == revocation_check::leaf);
  CHECK(rev.crl_files == std::vector<std::string>{dir.abs("pki/issuing.crl")});
  CHECK(rev.fetch_distribution_points);
  CHECK(rev.refresh == 1min);
  CHECK(rev.fetch_timeout == 3s);
  CHECK(rev.max_crl_bytes == 2u * 1024 * 1024);
  CHECK(rev.stale_if_error == 10min);
  CHECK(rev.ocsp.enabled);
  CHECK(rev.ocsp.timeout == 1s);
  CHECK(rev.ocsp.cache_ttl == 5min);
  CHECK(rev.ocsp.responder == "http://127.0.0.1:8888/ocsp");
  CHECK(rev.ocsp.nonce);

  const auto defaults = load(dir, replace(minimal_yaml, trust_line, trust_line + "  revocation: {crl_files: [pki/issuing.crl]}\n"));
  REQUIRE(defaults.config);
  CHECK_FALSE(defaults.config->trust.revocation.mode);
  CHECK(defaults.config->trust.revocation.fetch_timeout == 5s);
  CHECK(defaults.config->trust.revocation.max_crl_bytes == 10u * 1024 * 1024);
  CHECK(defaults.config->trust.revocation.stale_if_error == 0s);
  CHECK(defaults.config->trust.revocation.ocsp.responder.empty());
  CHECK_FALSE(defaults.config->trust.revocation.ocsp.nonce);

  const auto hard = load(dir, replace(minimal_yaml, trust_line, trust_line + "  revocation: {mode: hard}\n"));
  CHECK_THAT(only_problem_at(hard, "trust.revocation.mode").message, Catch::StartsWith("needs a revocation source"));
  const auto off = load(dir, replace(minimal_yaml, trust_line, trust_line + "  revocation: {mode: \"off\"}\n"));
  CHECK(off.problems.empty());
  const auto https = load(dir, replace(minimal_yaml, trust_line,
                                       trust_line + "  revocation: {ocsp: {enabled: true, responder: \"https://x/\"}}\n"));
  CHECK_THAT(only_problem_at(https, "trust.revocation.ocsp.responder").message, Catch::StartsWith("expected an http:// URL"));
  const auto unused = load(dir, replace(minimal_yaml, trust_line,
                                        trust_line + "  revocation: {ocsp: {responder: \"http://x/\"}}\n"));
  CHECK_THAT(only_problem_at(unused, "trust.revocation.ocsp.responder").message, Catch::Contains("ocsp.enabled"));
}
