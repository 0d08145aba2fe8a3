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

TEST_CASE("kerberos routes and the kerberos section are refused, parsed") {
  const config_dir dir;
  const auto r = load_anyway(dir, minimal_yaml +
                                      "    auth: kerberos\n"  // 19
                                      "    service_principal: HTTP/exchange.example.test@EXAMPLE.TEST\n"
                                      "kerberos:\n"  // 21
                                      "  principal: svc-cba@EXAMPLE.TEST\n"
                                      "  keytab: secrets/svc-cba.keytab\n"
                                      "  krb5_conf: krb5.conf\n"
                                      "  channel_binding: off\n"
                                      "  ticket_cache: {max_entries: 5, refresh_before_expiry: 1m}\n");
  CHECK(formatted(r.problems) ==
        std::vector<std::string>{
            "cba.yaml:19:11: routes[0].auth: auth: kerberos is not supported yet (planned); use headers or none",
            "cba.yaml:22:3: kerberos: kerberos is not supported yet (planned); remove it"});
  REQUIRE(r.config.kerberos);
  CHECK(r.config.kerberos->principal == "svc-cba@EXAMPLE.TEST");
  CHECK(r.config.kerberos->keytab == dir.abs("secrets/svc-cba.keytab"));
  CHECK(r.config.kerberos->krb5_conf == dir.abs("krb5.conf"));
  CHECK(r.config.kerberos->channel_binding == channel_binding_mode::off);
  CHECK(r.config.kerberos->ticket_cache.max_entries == 5);
  CHECK(r.config.kerberos->ticket_cache.refresh_before_expiry == 1min);
  CHECK(r.config.routes[0].service_principal == "HTTP/exchange.example.test@EXAMPLE.TEST");
}

TEST_CASE("revocation modes and sources are refused, mode off is fine") {
  const config_dir dir;
  const auto r = load_anyway(dir, replace(minimal_yaml, trust_line,
                                          trust_line +
                                              "  revocation:\n"
                                              "    mode: soft\n"                                    // 10
                                              "    crl_files: [pki/issuing.crl]\n"                  // 11
                                              "    fetch_distribution_points: true\n"               // 12
                                              "    ocsp: {enabled: true, timeout: 1s, cache_ttl: 5m}\n"));  // 13
  CHECK(formatted(r.problems) ==
        std::vector<std::string>{
            "cba.yaml:10:11: trust.revocation.mode: soft revocation checking is not supported yet (planned); "
            "remove it or set mode: \"off\"",
            "cba.yaml:11:16: trust.revocation.crl_files: CRL files are not supported yet (planned); remove them",
            "cba.yaml:12:32: trust.revocation.fetch_distribution_points: fetching CRL distribution points is not "
            "supported yet (planned); remove it",
            "cba.yaml:13:21: trust.revocation.ocsp.enabled: OCSP is not supported yet (planned); remove it"});
  CHECK(r.config.trust.revocation.mode == revocation_mode::soft);
  CHECK(r.config.trust.revocation.crl_files == std::vector<std::string>{dir.abs("pki/issuing.crl")});
  CHECK(r.config.trust.revocation.ocsp.timeout == 1s);

  const auto hard = load(dir, replace(minimal_yaml, trust_line, trust_line + "  revocation: {mode: hard}\n"));
  CHECK_THAT(only_problem_at(hard, "trust.revocation.mode").message, Catch::StartsWith("hard revocation checking is not supported yet"));
}

TEST_CASE("session ticket keys are refused, parsed") {
  const config_dir dir;
  const auto r = load_anyway(dir, replace(minimal_yaml, "      private_key: tls/server.key\n",
                                          "      private_key: tls/server.key\n"
                                          "      session_tickets: {key_files: [tls/ticket.key]}\n"));
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].key_path == "listeners[0].tls.session_tickets.key_files");
  CHECK(r.problems[0].line == 7);
  CHECK(r.problems[0].column == 36);
  CHECK_THAT(r.problems[0].message, Catch::Contains("not supported yet"));
  CHECK(r.config.listeners[0].tls.session_tickets.key_files == std::vector<std::string>{dir.abs("tls/ticket.key")});
  // An empty list is the supported state.
  const auto empty = load(dir, replace(minimal_yaml, "      private_key: tls/server.key\n",
                                       "      private_key: tls/server.key\n      session_tickets: {key_files: []}\n"));
  CHECK(empty.config);
}
