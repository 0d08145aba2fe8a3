// Valid configs: every key lands in its field, defaults apply, paths resolve, names normalise.
#include "config_fixture.hpp"

#include <sstream>

using namespace cba::config;
using namespace cba::config::test;
using namespace std::chrono_literals;

namespace {

const std::string full_yaml = R"(
listeners:
  - name: edge
    address: "[::]:8443"
    tls:
      certificate_chain: tls/server-chain.pem
      private_key: tls/server.key
      min_version: "1.3"
      client_certificate: optional
    limits:
      request_header_bytes: 64KiB
      request_header_count: 50
      handshake_timeout: 5s
      header_timeout: 15s
      idle_timeout: 90s
      max_connections: 1000
  - name: second
    address: 127.0.0.1:0
    tls: {certificate_chain: tls/server-chain.pem, private_key: tls/server.key}
trust:
  roots: pki/roots.pem
  intermediates: pki/intermediates.pem
  ntauth: pki/ntauth.pem
  advertise: none
  max_depth: 3
  required_ekus: [smartcard_logon, client_auth, 1.2.3.4]
  revocation:
    mode: off
    check: leaf
    refresh: 10m
    ocsp: {enabled: false, timeout: 3s, cache_ttl: 2h}
identity:
  upn_sources: [subject_upn, san_upn]
  allowed_upn_suffixes: [Example.Test, "@Corp.Example.Test"]
directory:
  type: file
  file: {path: users.yaml}
  account_checks: [disabled]
  certificate_mapping: upn
upstreams:
  - name: exchange
    url: https://exchange.example.test:8443/
    tls: {ca: pki/exchange-ca.pem, server_name: mail.example.test}
    connect_timeout: 2s
    response_header_bytes: 32KiB
    request_header_bytes: 16384
    max_idle_connections: 0
  - name: plain
    url: http://[::1]
routes:
  - path_prefix: /owa
    upstream: exchange
    auth: headers
    max_body_bytes: 35MiB
  - path_prefix: /Microsoft-Server-ActiveSync
    upstream: exchange
    idle_timeout: 65m
  - path_prefix: /public
    upstream: plain
    auth: none
identity_headers:
  set:
    X-Remote-User: "{sam_account_name}"
    X-Client-UPN: "{upn}"
    X-Client-Cert: ":{cert_rfc9440}:"
  strip: [X-Forwarded-User]
admin:
  address: 127.0.0.1:9901
log:
  level: debug
  access: {path: logs/access.log, format: json}
runtime:
  io_threads: 2
  blocking_threads: 8
)";

}  // namespace

TEST_CASE("a full config round-trips into the structs") {
  const config_dir dir;
  fake_checker checker;
  const auto r = load(dir, full_yaml, &checker);
  INFO(all_problems(r));
  REQUIRE(r.problems.empty());
  REQUIRE(r.config);
  const proxy_config& c = *r.config;
  CHECK(c.source_file == "cba.yaml");

  REQUIRE(c.listeners.size() == 2);
  const auto& l = c.listeners[0];
  CHECK(l.name == "edge");
  CHECK(l.address == "[::]:8443");
  CHECK(l.host == "::");
  CHECK(l.port == 8443);
  CHECK(l.tls.certificate_chain == dir.abs("tls/server-chain.pem"));
  CHECK(l.tls.private_key == dir.abs("tls/server.key"));
  CHECK(l.tls.min_version == tls_version::v1_3);
  CHECK(l.tls.client_certificate == client_certificate_mode::optional);
  CHECK(l.tls.session_tickets.key_files.empty());
  CHECK(l.limits.request_header_bytes == 65536);
  CHECK(l.limits.request_header_count == 50);
  CHECK(l.limits.handshake_timeout == 5s);
  CHECK(l.limits.header_timeout == 15s);
  CHECK(l.limits.idle_timeout == 90s);
  CHECK(l.limits.max_connections == 1000);
  CHECK(c.listeners[1].host == "127.0.0.1");
  CHECK(c.listeners[1].port == 0);

  CHECK(c.trust.roots == dir.abs("pki/roots.pem"));
  CHECK(c.trust.intermediates == dir.abs("pki/intermediates.pem"));
  CHECK(c.trust.ntauth == dir.abs("pki/ntauth.pem"));
  CHECK(c.trust.advertise == advertise_mode::none);
  CHECK(c.trust.max_depth == 3);
  CHECK(c.trust.required_ekus == std::vector<std::string>{"1.3.6.1.4.1.311.20.2.2", "1.3.6.1.5.5.7.3.2", "1.2.3.4"});
  CHECK(c.trust.revocation.mode == revocation_mode::off);
  CHECK(c.trust.revocation.check == revocation_check::leaf);
  CHECK(c.trust.revocation.refresh == 10min);
  CHECK(c.trust.revocation.ocsp.timeout == 3s);
  CHECK(c.trust.revocation.ocsp.cache_ttl == 2h);

  CHECK(c.identity.upn_sources == std::vector<upn_source>{upn_source::subject_upn, upn_source::san_upn});
  CHECK(c.identity.allowed_upn_suffixes == std::vector<std::string>{"@example.test", "@corp.example.test"});

  CHECK(c.directory.type == directory_type::file);
  CHECK(c.directory.file.path == dir.abs("users.yaml"));
  REQUIRE(c.directory.file.accounts.size() == 2);
  CHECK(c.directory.file.accounts[0].upn == "alice@example.test");
  CHECK(c.directory.file.accounts[0].sam_account_name == "alice");
  CHECK(c.directory.file.accounts[0].sid == "S-1-5-21-1004336348-1177238915-682003330-1104");
  CHECK(c.directory.file.accounts[0].dn == "CN=Alice,CN=Users,DC=example,DC=test");
  CHECK_FALSE(c.directory.file.accounts[0].disabled);
  CHECK(c.directory.file.accounts[1].disabled);
  CHECK(c.directory.account_checks == std::vector<account_check>{account_check::disabled});
  CHECK(c.directory.certificate_mapping == certificate_mapping_mode::upn);

  REQUIRE(c.upstreams.size() == 2);
  const auto& u = c.upstreams[0];
  CHECK(u.name == "exchange");
  CHECK(u.url == "https://exchange.example.test:8443/");
  CHECK(u.https);
  CHECK(u.host == "exchange.example.test");
  CHECK(u.port == 8443);
  CHECK(u.tls.ca == dir.abs("pki/exchange-ca.pem"));
  CHECK(u.tls.server_name == "mail.example.test");
  CHECK(u.connect_timeout == 2s);
  CHECK(u.response_header_bytes == 32768);
  CHECK(u.request_header_bytes == std::optional<std::uint64_t>{16384});
  CHECK(u.max_idle_connections == 0);
  CHECK_FALSE(c.upstreams[1].https);
  CHECK(c.upstreams[1].host == "::1");
  CHECK(c.upstreams[1].port == 80);

  CHECK_FALSE(c.kerberos);
  REQUIRE(c.routes.size() == 3);
  CHECK(c.routes[0].path_prefix == "/owa");
  CHECK(c.routes[0].upstream_index == 0);
  CHECK(c.routes[0].auth == route_auth::headers);
  CHECK(c.routes[0].max_body_bytes == std::optional<std::uint64_t>{35 * 1024 * 1024});
  CHECK_FALSE(c.routes[0].idle_timeout);
  CHECK(c.routes[1].auth == route_auth::headers);
  CHECK(c.routes[1].idle_timeout == std::optional<duration>{65min});
  CHECK_FALSE(c.routes[1].max_body_bytes);
  CHECK(c.routes[2].upstream_index == 1);
  CHECK(c.routes[2].auth == route_auth::none);

  using header = std::pair<std::string, std::string>;
  CHECK(c.identity_headers.set == std::vector<header>{{"X-Remote-User", "{sam_account_name}"},
                                                      {"X-Client-UPN", "{upn}"},
                                                      {"X-Client-Cert", ":{cert_rfc9440}:"}});
  CHECK(c.identity_headers.strip == std::vector<std::string>{"X-Forwarded-User"});
  CHECK(c.admin.address == "127.0.0.1:9901");
  CHECK(c.admin.host == "127.0.0.1");
  CHECK(c.admin.port == 9901);
  CHECK(c.log.level == log_level::debug);
  CHECK(c.log.access.path == dir.abs("logs/access.log"));
  CHECK(c.log.access.format == "json");
  CHECK(c.runtime.io_threads == 2);
  CHECK(c.runtime.blocking_threads == 8);

  // Every referenced file went through the checker with its kind.
  const auto checked = [&](file_kind kind, const std::string& rel) {
    return std::find(checker.calls.begin(), checker.calls.end(), std::pair{kind, dir.abs(rel)}) != checker.calls.end();
  };
  CHECK(checked(file_kind::ca_bundle, "pki/intermediates.pem"));
  CHECK(checked(file_kind::ca_bundle, "pki/ntauth.pem"));
  CHECK(checked(file_kind::ca_bundle, "pki/exchange-ca.pem"));
}

TEST_CASE("defaults are those config.hpp documents") {
  const config_dir dir;
  const auto r = load(dir, minimal_yaml);
  INFO(all_problems(r));
  REQUIRE(r.config);
  const proxy_config& c = *r.config;
  const auto& l = c.listeners[0];
  CHECK(l.tls.min_version == tls_version::v1_2);
  CHECK(l.tls.client_certificate == client_certificate_mode::require);
  CHECK(l.limits.request_header_bytes == 49152);
  CHECK(l.limits.request_header_count == 100);
  CHECK(l.limits.handshake_timeout == 10s);
  CHECK(l.limits.header_timeout == 30s);
  CHECK(l.limits.idle_timeout == 2min);
  CHECK(l.limits.max_connections == 20000);
  CHECK(c.trust.intermediates.empty());
  CHECK(c.trust.ntauth.empty());
  CHECK_FALSE(c.trust.advertise);
  CHECK(c.trust.max_depth == 4);
  CHECK(c.trust.required_ekus == std::vector<std::string>{"1.3.6.1.5.5.7.3.2"});
  CHECK_FALSE(c.trust.revocation.mode);
  CHECK(c.trust.revocation.check == revocation_check::chain);
  CHECK(c.trust.revocation.refresh == 5min);
  CHECK(c.identity.upn_sources == std::vector<upn_source>{upn_source::san_upn});
  CHECK(c.identity.allowed_upn_suffixes.empty());
  CHECK(c.directory.account_checks.size() == 3);
  const auto& u = c.upstreams[0];
  CHECK_FALSE(u.https);
  CHECK(u.host == "127.0.0.1");
  CHECK(u.port == 8080);
  CHECK(u.connect_timeout == 5s);
  CHECK(u.response_header_bytes == 65536);
  CHECK_FALSE(u.request_header_bytes);
  CHECK(u.max_idle_connections == 256);
  const auto& route = c.routes[0];
  CHECK(route.auth == route_auth::headers);
  CHECK_FALSE(route.max_body_bytes);
  CHECK_FALSE(route.idle_timeout);
  CHECK(c.identity_headers.set.empty());
  CHECK(c.admin.address.empty());
  CHECK(c.log.level == log_level::info);
  CHECK(c.log.access.path == "-");
  CHECK(c.runtime.io_threads == 0);
  CHECK(c.runtime.blocking_threads == 4);
}

TEST_CASE("relative paths resolve against the config folder, absolute ones stay") {
  const config_dir dir;
  const config_dir other;
  const auto r = load(dir, replace(minimal_yaml, "pki/roots.pem", other.abs("pki/roots.pem")) +
                               "log: {access: {path: ./logs/../access.log}}\n");
  INFO(all_problems(r));
  REQUIRE(r.config);
  CHECK(r.config->trust.roots == other.abs("pki/roots.pem"));
  CHECK(r.config->listeners[0].tls.private_key == dir.abs("tls/server.key"));
  CHECK(r.config->log.access.path == dir.abs("access.log"));
}

TEST_CASE("load_file resolves against the file's folder and records its absolute path") {
  const config_dir dir;
  dir.write("etc/cba.yaml", replace(minimal_yaml, "users.yaml", "../users.yaml"));
  dir.write("etc/tls/server-chain.pem", "x");
  dir.write("etc/tls/server.key", "x");
  dir.write("etc/pki/roots.pem", "x");
  const auto r = load_file(dir.abs("etc/cba.yaml"), nullptr);
  INFO(all_problems(r));
  REQUIRE(r.config);
  CHECK(r.config->source_file == dir.abs("etc/cba.yaml"));
  CHECK(r.config->trust.roots == dir.abs("etc/pki/roots.pem"));
  CHECK(r.config->directory.file.path == dir.abs("users.yaml"));
}

TEST_CASE("a bare off means off for revocation.mode and log.access.path") {
  const config_dir dir;
  for (const char* off : {"off", "\"off\"", "false", "Off"}) {
    INFO(off);
    const auto r = load(dir, replace(minimal_yaml, "  roots: pki/roots.pem\n",
                                     std::string("  roots: pki/roots.pem\n  revocation: {mode: ") + off + "}\n") +
                                 "log: {access: {path: " + off + "}}\n");
    INFO(all_problems(r));
    REQUIRE(r.config);
    CHECK(r.config->trust.revocation.mode == revocation_mode::off);
    CHECK(r.config->log.access.path == "off");
  }
  // Quoted "false" is a string, not YAML 1.1's false.
  const auto quoted = load(dir, replace(minimal_yaml, "  roots: pki/roots.pem\n",
                                        "  roots: pki/roots.pem\n  revocation: {mode: \"false\"}\n"));
  CHECK_THAT(only_problem_at(quoted, "trust.revocation.mode").message,
             Catch::StartsWith("expected one of off, soft or hard"));
}

TEST_CASE("booleans accept true/false and YAML 1.1 words, nothing else") {
  const config_dir dir;
  const auto yes = load(dir, replace(minimal_yaml, "  roots: pki/roots.pem\n",
                                     "  roots: pki/roots.pem\n  revocation: {ocsp: {enabled: no}}\n"));
  INFO(all_problems(yes));
  CHECK(yes.config);
  const auto bad = load(dir, replace(minimal_yaml, "  roots: pki/roots.pem\n",
                                     "  roots: pki/roots.pem\n  revocation: {fetch_distribution_points: maybe}\n"));
  CHECK(only_problem_at(bad, "trust.revocation.fetch_distribution_points").message ==
        "expected true or false, got \"maybe\"");
}

TEST_CASE("cross-checks between settings") {
  const config_dir dir;

  SECTION("routes name an existing upstream") {
    const auto r = load(dir, replace(minimal_yaml, "    upstream: app\n", "    upstream: nowhere\n"));
    CHECK(format(only_problem_at(r, "routes[0].upstream")) ==
          "cba.yaml:18:15: routes[0].upstream: no upstream is named 'nowhere'; upstreams are: app");
  }
  SECTION("path prefixes start with / and are unique, ignoring case") {
    const auto r = load(dir, minimal_yaml + "  - path_prefix: /OWA\n    upstream: app\n  - path_prefix: /owa\n    upstream: app\n"
                                            "  - path_prefix: ecp\n    upstream: app\n");
    CHECK(format(only_problem_at(r, "routes[2].path_prefix")) ==
          "cba.yaml:21:18: routes[2].path_prefix: \"/owa\" repeats routes[1] (prefixes are case-insensitive)");
    CHECK(only_problem_at(r, "routes[3].path_prefix").message == "must start with '/', got \"ecp\"");
  }
  SECTION("an https upstream needs an explicit CA") {
    const auto r = load(dir, replace(minimal_yaml, "http://127.0.0.1:8080", "https://app.example.test"));
    const auto p = only_problem_at(r, "upstreams[0].tls.ca");
    CHECK(p.line == 14);  // tls.ca is not written: the upstream's place
    CHECK_THAT(p.message, Catch::Contains("system default store is not used"));
  }
  SECTION("tls settings on an http upstream are refused") {
    const auto r = load(dir, minimal_yaml.substr(0, minimal_yaml.find("routes:")) +
                                 "    tls: {ca: pki/exchange-ca.pem}\n" + minimal_yaml.substr(minimal_yaml.find("routes:")));
    CHECK(only_problem_at(r, "upstreams[0].tls").message == "tls settings need an https:// url");
  }
  SECTION("listener and upstream names are unique") {
    const auto r = load(dir, replace(minimal_yaml, "upstreams:\n", "upstreams:\n  - name: app\n    url: http://h\n"));
    CHECK(only_problem_at(r, "upstreams[1].name").message == "name 'app' is already used by upstreams[0]");
  }
  SECTION("at least one listener and one route") {
    const auto r = load(dir, replace(replace(minimal_yaml, "routes:\n  - path_prefix: /\n    upstream: app\n", "routes: []\n"),
                                     "listeners:\n", "listeners: []\nx:\n"));
    CHECK(only_problem_at(r, "routes").message == "at least one route is required");
    CHECK(only_problem_at(r, "listeners").message == "at least one listener is required");
  }
  SECTION("a kerberos route needs a kerberos section and a service principal") {
    const auto r = load(dir, minimal_yaml + "    auth: kerberos\n");
    CHECK(only_problem_at(r, "kerberos").message == "a kerberos section is required when a route uses auth: kerberos");
    CHECK_THAT(only_problem_at(r, "routes[0].service_principal").message, Catch::StartsWith("required for auth: kerberos"));
  }
  SECTION("service_principal is only for kerberos routes") {
    const auto r = load(dir, minimal_yaml + "    service_principal: HTTP/x@Y\n");
    CHECK(format(only_problem_at(r, "routes[0].service_principal")) ==
          "cba.yaml:19:24: routes[0].service_principal: only used by routes with auth: kerberos");
  }
  SECTION("advertise: ntauth needs an ntauth bundle") {
    const auto r = load(dir, replace(minimal_yaml, "  roots: pki/roots.pem\n", "  roots: pki/roots.pem\n  advertise: ntauth\n"));
    CHECK(format(only_problem_at(r, "trust.advertise")) ==
          "cba.yaml:9:14: trust.advertise: advertise: ntauth needs trust.ntauth (the NTAuth CA bundle)");
  }
  SECTION("required_ekus may not be empty; names are checked") {
    const auto r = load(dir, replace(minimal_yaml, "  roots: pki/roots.pem\n", "  roots: pki/roots.pem\n  required_ekus: []\n"));
    CHECK_THAT(only_problem_at(r, "trust.required_ekus").message, Catch::StartsWith("must list at least one EKU"));
  }
  SECTION("upn suffixes and sources are checked") {
    const auto r = load(dir, minimal_yaml + "identity:\n  upn_sources: [san_upn, san_upn]\n  allowed_upn_suffixes: [\"a@b\"]\n");
    CHECK(only_problem_at(r, "identity.upn_sources").message == "lists the same source twice");
    CHECK_THAT(only_problem_at(r, "identity.allowed_upn_suffixes[0]").message, Catch::StartsWith("expected a UPN suffix"));
  }
  SECTION("the file directory needs its path") {
    const auto r = load(dir, replace(minimal_yaml, "  file: {path: users.yaml}\n", ""));
    CHECK(format(only_problem_at(r, "directory.file.path")) ==
          "cba.yaml:10:3: directory.file.path: required when directory.type is file (the users file)");
  }
  SECTION("a missing users file is reported at directory.file.path") {
    std::filesystem::remove(dir.path() / "users.yaml");
    const auto r = load(dir, minimal_yaml);
    CHECK(format(only_problem_at(r, "directory.file.path")) ==
          "cba.yaml:11:16: directory.file.path: no such file: " + dir.abs("users.yaml"));
  }
  SECTION("addresses are host:port") {
    const auto r = load(dir, replace(minimal_yaml, "\"127.0.0.1:0\"", "\"::1:443\"") + "admin: {address: localhost}\n");
    CHECK_THAT(only_problem_at(r, "listeners[0].address").message, Catch::Contains("needs brackets"));
    CHECK_THAT(only_problem_at(r, "admin.address").message, Catch::Contains("the port is missing"));
  }
}

TEST_CASE("identity header names and templates are validated at their key") {
  const config_dir dir;
  const auto r = load(dir, minimal_yaml +
                               "identity_headers:\n"
                               "  set:\n"
                               "    X-Remote-User: \"{sam_account_name}\"\n"  // 21
                               "    X-Mail: \"{mail}\"\n"                     // 22
                               "    X-Half: \"{upn\"\n"                       // 23
                               "    Host: \"{upn}\"\n"                        // 24
                               "    Transfer-Encoding: x\n"                   // 25
                               "    \"Bad Name\": x\n"                        // 26
                               "    x-remote-user: \"{upn}\"\n"               // 27
                               "  strip: [Content-Length, X-Forwarded-User]\n");
  CHECK(format(only_problem_at(r, "identity_headers.set.X-Mail")) ==
        "cba.yaml:22:13: identity_headers.set.X-Mail: unknown field {mail}; fields are {upn} {sam_account_name} "
        "{sid} {dn} {cert_sha256} {cert_issuer} {cert_subject} {cert_serial} {cert_rfc9440}");
  CHECK(format(only_problem_at(r, "identity_headers.set.X-Half")) ==
        "cba.yaml:23:13: identity_headers.set.X-Half: '{' at offset 0 has no closing '}'");
  CHECK(format(only_problem_at(r, "identity_headers.set.Host")) ==
        "cba.yaml:24:5: identity_headers.set.Host: Host is preserved from the client request");
  CHECK_THAT(only_problem_at(r, "identity_headers.set.Transfer-Encoding").message, Catch::Contains("hop-by-hop"));
  CHECK(only_problem_at(r, "identity_headers.set.Bad Name").message == "\"Bad Name\" is not a valid header name");
  CHECK_THAT(only_problem_at(r, "identity_headers.set.x-remote-user").message, Catch::Contains("repeats X-Remote-User"));
  CHECK_THAT(only_problem_at(r, "identity_headers.strip[0]").message, Catch::Contains("Content-Length"));
  CHECK(r.problems.size() == 7);
}

TEST_CASE("ldap settings are validated even though ldap is refused for now") {
  const config_dir dir;
  const auto r = load(dir, replace(minimal_yaml, "  file: {path: users.yaml}\n",
                                   "  ldap:\n"
                                   "    urls: [ldap://dc1.example.test, \"dc2.example.test\"]\n"  // 12
                                   "    bind: {method: simple, dn: \"CN=svc\", password_file: secrets/ldap.pw}\n"
                                   "    base_dn: \"DC=example,DC=test\"\n"
                                   "    user_filter: \"(sAMAccountName=x)\"\n"));  // 15
  CHECK(format(only_problem_at(r, "directory.ldap.bind.method")) ==
        "cba.yaml:13:20: directory.ldap.bind.method: simple bind sends the password in clear; use ldaps:// or "
        "start_tls: true");
  CHECK_THAT(only_problem_at(r, "directory.ldap.urls[1]").message, Catch::StartsWith("expected an ldap:// or ldaps:// URL"));
  CHECK_THAT(only_problem_at(r, "directory.ldap.user_filter").message, Catch::StartsWith("must contain {upn}"));
  CHECK(only_problem_at(r, "directory.ldap").message == "is set but directory.type is file; remove it or set type: ldap");
}

TEST_CASE("config/example.yaml is valid when the files it names exist") {
  const config_dir dir;
  for (const char* f : {"pki/server-chain.pem", "pki/server.key", "pki/exchange-ca.pem"}) dir.write(f, "x\n");
  std::ifstream in(std::string(CBA_SOURCE_DIR) + "/config/example.yaml");
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  fake_checker checker;
  const auto r = load(dir, text.str(), &checker);
  INFO(all_problems(r));
  REQUIRE(r.config);
  CHECK(r.config->directory.certificate_mapping == certificate_mapping_mode::upn);
  CHECK(r.config->routes.size() == 4);
  CHECK(r.config->trust.advertise == advertise_mode::ntauth);
  CHECK(checker.calls.size() == 6);  // chain, key, roots, intermediates, ntauth, exchange CA
}
