#include "proxy/http/header_policy.hpp"

#include <boost/beast/http/fields.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using cba::config::identity_headers_config;
using cba::config::route_auth;
using cba::http::forwarding_facts;
using cba::http::header_policy;
namespace bhttp = boost::beast::http;

namespace {

cba::client_identity alice() {
  cba::client_identity id;
  id.upn = "alice@example.test";
  id.certificate.sha256_hex = std::string(64, 'b');
  id.certificate.subject = "CN=Alice";
  id.certificate.rfc9440 = ":MIIB:";
  cba::ldap::directory_account account;
  account.sam_account_name = "alice";
  account.sid = "S-1-5-21-1-2-3-1104";
  id.account = account;
  return id;
}

identity_headers_config demo_config() {
  identity_headers_config c;
  c.set = {{"X-Remote-User", "{sam_account_name}"}, {"X-Client-UPN", "{upn}"}, {"X-Client-SID", "{sid}"}};
  c.strip = {"X-Forwarded-User"};
  return c;
}

header_policy make_policy(const identity_headers_config& c = demo_config()) {
  std::string error;
  auto p = header_policy::create(c, error);
  INFO(error);
  REQUIRE(p.has_value());
  return std::move(*p);
}

std::vector<std::string> values(const bhttp::fields& f, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& field : f)
    if (boost::beast::iequals(field.name_string(), name)) out.emplace_back(field.value());
  return out;
}

bool has(const bhttp::fields& f, std::string_view name) { return !values(f, name).empty(); }

using strings = std::vector<std::string>;

}  // namespace

TEST_CASE("spoofed identity and credentials never survive, on any route", "[http][header_policy]") {
  const auto policy = make_policy();
  const auto id = alice();
  for (auto auth : {route_auth::headers, route_auth::kerberos, route_auth::none}) {
    CAPTURE(static_cast<int>(auth));
    bhttp::fields f;
    f.insert("Host", "mail.example.test");
    f.insert("X-Remote-User", "administrator");
    f.insert("x-remote-user", "administrator");
    f.insert("X-REMOTE-USER", "administrator");
    f.insert("X_Remote_User", "administrator");  // CGI servers map this to HTTP_X_REMOTE_USER too
    f.insert("X-Client-UPN", "admin@example.test");
    f.insert("Authorization", "Basic YWRtaW46cGFzcw==");
    f.insert("authorization", "Negotiate abc");
    f.insert("Proxy-Authorization", "Basic eA==");
    f.insert("X-Forwarded-For", "10.0.0.1");
    f.insert("x-forwarded-for", "10.0.0.2");
    f.insert("X-Forwarded-Proto", "http");
    f.insert("X-Forwarded-Host", "evil");
    f.insert("Forwarded", "for=10.0.0.1");
    f.insert("X-Real-IP", "10.0.0.1");
    f.insert("Client-Cert", ":Zm9v:");
    f.insert("Client-Cert-Chain", ":Zm9v:");
    f.insert("X-Client-Cert", "foo");
    f.insert("X-ARR-ClientCert", "foo");
    f.insert("X-Forwarded-User", "administrator");
    f.insert("Cookie", "a=b");
    const auto report = policy.rewrite_for_upstream(f, forwarding_facts{auth, &id, "192.0.2.7"});
    CHECK(report.ignored_connection_tokens.empty());

    CHECK(values(f, "Host") == strings{"mail.example.test"});
    CHECK(values(f, "Cookie") == strings{"a=b"});
    CHECK_FALSE(has(f, "Authorization"));
    CHECK_FALSE(has(f, "Proxy-Authorization"));
    CHECK_FALSE(has(f, "X_Remote_User"));
    CHECK_FALSE(has(f, "X-Forwarded-Host"));
    CHECK_FALSE(has(f, "Forwarded"));
    CHECK_FALSE(has(f, "X-Real-IP"));
    CHECK_FALSE(has(f, "Client-Cert"));
    CHECK_FALSE(has(f, "Client-Cert-Chain"));
    CHECK_FALSE(has(f, "X-Client-Cert"));
    CHECK_FALSE(has(f, "X-ARR-ClientCert"));
    CHECK_FALSE(has(f, "X-Forwarded-User"));
    CHECK(values(f, "X-Forwarded-For") == strings{"192.0.2.7"});
    CHECK(values(f, "X-Forwarded-Proto") == strings{"https"});
    if (auth == route_auth::headers) {
      CHECK(values(f, "X-Remote-User") == strings{"alice"});
      CHECK(values(f, "X-Client-UPN") == strings{"alice@example.test"});
      CHECK(values(f, "X-Client-SID") == strings{"S-1-5-21-1-2-3-1104"});
    } else {
      CHECK_FALSE(has(f, "X-Remote-User"));
      CHECK_FALSE(has(f, "X-Client-UPN"));
      CHECK_FALSE(has(f, "X-Client-SID"));
    }
  }
}

TEST_CASE("identity headers are added in config order, after everything is stripped", "[http][header_policy]") {
  const auto policy = make_policy();
  const auto id = alice();
  bhttp::fields f;
  f.insert("Host", "h");
  f.insert("X-Client-SID", "S-1-5-18");
  policy.rewrite_for_upstream(f, forwarding_facts{route_auth::headers, &id, "2001:db8::1"});
  strings names;
  for (const auto& field : f) names.emplace_back(field.name_string());
  CHECK(names == strings{"Host", "X-Remote-User", "X-Client-UPN", "X-Client-SID", "X-Forwarded-For",
                         "X-Forwarded-Proto"});
  CHECK(values(f, "X-Forwarded-For") == strings{"2001:db8::1"});
}

TEST_CASE("no identity: nothing is added, everything is still stripped", "[http][header_policy]") {
  const auto policy = make_policy();
  bhttp::fields f;
  f.insert("Host", "h");
  f.insert("X-Remote-User", "administrator");
  policy.rewrite_for_upstream(f, forwarding_facts{route_auth::headers, nullptr, "192.0.2.7"});
  CHECK_FALSE(has(f, "X-Remote-User"));

  // A header whose template renders empty is omitted rather than sent empty.
  auto no_account = alice();
  no_account.account.reset();
  bhttp::fields g;
  g.insert("X-Remote-User", "administrator");
  policy.rewrite_for_upstream(g, forwarding_facts{route_auth::headers, &no_account, "192.0.2.7"});
  CHECK_FALSE(has(g, "X-Remote-User"));
  CHECK(values(g, "X-Client-UPN") == strings{"alice@example.test"});
}

TEST_CASE("hop-by-hop headers and Connection tokens are stripped", "[http][header_policy]") {
  const auto policy = make_policy();
  bhttp::fields f;
  f.insert("Host", "h");
  f.insert("Connection", "close, X-Foo");
  f.insert("connection", "x-bar");
  f.insert("X-Foo", "1");
  f.insert("X-Bar", "2");
  f.insert("X-Baz", "3");
  f.insert("Keep-Alive", "timeout=5");
  f.insert("Proxy-Connection", "keep-alive");
  f.insert("TE", "trailers");
  f.insert("Trailer", "X-Checksum");
  f.insert("Upgrade", "websocket");
  f.insert("HTTP2-Settings", "AAMAAABkAAQAAP__");
  f.insert("Transfer-Encoding", "chunked");
  f.insert("Expect", "100-continue");
  policy.rewrite_for_upstream(f, forwarding_facts{route_auth::none, nullptr, "192.0.2.7"});
  for (std::string_view gone : {"Connection", "X-Foo", "X-Bar", "Keep-Alive", "Proxy-Connection", "TE", "Trailer",
                                "Upgrade", "HTTP2-Settings"}) {
    CAPTURE(gone);
    CHECK_FALSE(has(f, gone));
  }
  CHECK(values(f, "X-Baz") == strings{"3"});
  CHECK(values(f, "Transfer-Encoding") == strings{"chunked"});  // framing belongs to the relay
  CHECK(values(f, "Expect") == strings{"100-continue"});
  CHECK(values(f, "Host") == strings{"h"});
}

TEST_CASE("Connection cannot remove framing or Host; the attempt is reported", "[http][header_policy]") {
  const auto policy = make_policy();
  bhttp::fields f;
  f.insert("Host", "h");
  f.insert("Content-Length", "5");
  f.insert("Connection", "Content-Length, host, Transfer_Encoding, keep-alive, X-Remote-User");
  const auto report = policy.rewrite_for_upstream(f, forwarding_facts{route_auth::none, nullptr, ""});
  CHECK(values(f, "Host") == strings{"h"});
  CHECK(values(f, "Content-Length") == strings{"5"});
  CHECK_FALSE(has(f, "Connection"));
  CHECK(report.ignored_connection_tokens == strings{"content-length", "host", "transfer-encoding"});
  // No client address: no X-Forwarded-For rather than an empty one.
  CHECK_FALSE(has(f, "X-Forwarded-For"));
}

TEST_CASE("a Connection token naming an identity header does not stop it being set", "[http][header_policy]") {
  const auto policy = make_policy();
  const auto id = alice();
  bhttp::fields f;
  f.insert("Connection", "X-Remote-User, X-Forwarded-For");
  policy.rewrite_for_upstream(f, forwarding_facts{route_auth::headers, &id, "192.0.2.7"});
  CHECK(values(f, "X-Remote-User") == strings{"alice"});
  CHECK(values(f, "X-Forwarded-For") == strings{"192.0.2.7"});
}

TEST_CASE("identity values cannot inject headers", "[http][header_policy]") {
  identity_headers_config c;
  c.set = {{"X-Client-Subject", "{cert_subject}"}};
  const auto policy = make_policy(c);
  auto id = alice();
  id.certificate.subject = "CN=x\r\nX-Remote-User: administrator";
  bhttp::fields f;
  policy.rewrite_for_upstream(f, forwarding_facts{route_auth::headers, &id, "192.0.2.7\r\nX-Evil: 1"});
  CHECK(values(f, "X-Client-Subject") == strings{"CN=x%0D%0AX-Remote-User: administrator"});
  CHECK(values(f, "X-Forwarded-For") == strings{"192.0.2.7%0D%0AX-Evil: 1"});
  for (const auto& field : f) CHECK(field.value().find_first_of("\r\n") == std::string_view::npos);
}

TEST_CASE("configuration the policy refuses", "[http][header_policy]") {
  struct row {
    identity_headers_config config;
    std::string_view message;
  };
  const auto set = [](std::string name, std::string text) {
    identity_headers_config c;
    c.set = {{std::move(name), std::move(text)}};
    return c;
  };
  const auto strip = [](std::string name) {
    identity_headers_config c;
    c.strip = {std::move(name)};
    return c;
  };
  identity_headers_config twice;
  twice.set = {{"X-User", "{upn}"}, {"x_user", "{sid}"}};
  const row rows[] = {
      {set("X User", "{upn}"), "identity_headers.set.X User: not a valid header name"},
      {set("", "{upn}"), "not a valid header name"},
      {set("Host", "{upn}"), "Host is preserved"},
      {set("content-length", "{upn}"), "Content-Length describes the body"},
      {set("Authorization", "{upn}"), "written by the proxy itself"},
      {set("X-Forwarded-For", "{upn}"), "written by the proxy itself"},
      {set("x_forwarded_proto", "{upn}"), "written by the proxy itself"},
      {set("Connection", "{upn}"), "hop-by-hop"},
      {set("X-User", "{mail}"), "identity_headers.set.X-User: unknown field {mail}"},
      {twice, "set twice"},
      {strip("Transfer-Encoding"), "cannot be stripped"},
      {strip("Bad:Name"), "identity_headers.strip: Bad:Name: not a valid header name"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.message);
    std::string error;
    CHECK_FALSE(header_policy::create(r.config, error).has_value());
    CHECK(error.find(r.message) != std::string::npos);
  }
}

TEST_CASE("certificate headers may be set: the client's copies are stripped first", "[http][header_policy]") {
  identity_headers_config c;
  c.set = {{"Client-Cert", "{cert_rfc9440}"}, {"X-Client-Cert", "{cert_sha256}"}};
  std::string error;
  CHECK(header_policy::create(c, error).has_value());
  CHECK(error.empty());
}

TEST_CASE("renders: which identity fields some template sends", "[http][header_policy]") {
  using cba::http::identity_field;
  identity_headers_config c;
  c.set = {{"Client-Cert", "cert={cert_rfc9440};"}, {"X-Client-Cert", "{cert_sha256}"}};
  const auto with_cert = make_policy(c);
  CHECK(with_cert.renders(identity_field::cert_rfc9440));
  CHECK(with_cert.renders(identity_field::cert_sha256));
  CHECK_FALSE(with_cert.renders(identity_field::sid));
  const auto demo = make_policy();
  CHECK_FALSE(demo.renders(identity_field::cert_rfc9440));
  CHECK(demo.renders(identity_field::sam_account_name));
}

TEST_CASE("is_hop_by_hop and header_name_equals", "[http][header_policy]") {
  using cba::http::header_name_equals;
  using cba::http::is_hop_by_hop;
  for (std::string_view h : {"Connection", "keep-alive", "PROXY-CONNECTION", "te", "Trailer", "upgrade",
                             "Proxy-Authenticate", "Proxy-Authorization", "HTTP2-Settings"})
    CHECK(is_hop_by_hop(h));
  for (std::string_view h : {"Transfer-Encoding", "Content-Length", "Host", "Set-Cookie", "Tea", ""})
    CHECK_FALSE(is_hop_by_hop(h));
  CHECK(header_name_equals("X-Remote-User", "x_remote_user"));
  CHECK_FALSE(header_name_equals("X-Remote-User", "X-Remote-Users"));
}

TEST_CASE("response headers: hop-by-hop and Windows challenges go, cookies stay", "[http][header_policy]") {
  bhttp::fields f;
  f.insert("Content-Length", "10");
  f.insert("Connection", "keep-alive, X-Internal");
  f.insert("X-Internal", "secret");
  f.insert("Keep-Alive", "timeout=5");
  f.insert("Proxy-Authenticate", "Basic");
  f.insert("Set-Cookie", "X-OWA-CANARY=abc; path=/; secure");
  f.insert("Set-Cookie", "ClientId=def; path=/");
  f.insert("WWW-Authenticate", "Negotiate oYG3MIG0oAMKAQChCwYJKoZIgvcSAQICooGf");
  f.insert("www-authenticate", "NTLM");
  f.insert("WWW-Authenticate", "Basic realm=\"a, Negotiate\", negotiate");
  f.insert("WWW-Authenticate", "Bearer realm=\"x, NTLM\"");
  f.insert("WWW-Authenticate", "Negotiate \"\\");  // malformed: an escape at the very end
  f.insert("X-MS-Diagnostics", "1");
  cba::http::rewrite_response_headers(f);
  CHECK(values(f, "Set-Cookie") == strings{"X-OWA-CANARY=abc; path=/; secure", "ClientId=def; path=/"});
  CHECK(values(f, "WWW-Authenticate") == strings{"Bearer realm=\"x, NTLM\""});
  CHECK(values(f, "Content-Length") == strings{"10"});
  CHECK(values(f, "X-MS-Diagnostics") == strings{"1"});
  for (std::string_view gone : {"Connection", "X-Internal", "Keep-Alive", "Proxy-Authenticate"}) {
    CAPTURE(gone);
    CHECK_FALSE(has(f, gone));
  }
}

TEST_CASE("response Connection tokens never remove framing", "[http][header_policy]") {
  bhttp::fields f;
  f.insert("Transfer-Encoding", "chunked");
  f.insert("Connection", "Transfer-Encoding");
  cba::http::rewrite_response_headers(f);
  CHECK(values(f, "Transfer-Encoding") == strings{"chunked"});
  CHECK_FALSE(has(f, "Connection"));
}
