#include "proxy/http/identity_template.hpp"

#include <catch2/catch.hpp>

#include <string>

using cba::http::identity_template;

namespace {

cba::client_identity alice() {
  cba::client_identity id;
  id.upn = "alice@example.test";
  id.certificate.sha256_hex = std::string(64, 'a');
  id.certificate.issuer = "CN=Example Issuing CA,DC=example,DC=test";
  id.certificate.subject = "CN=Alice,OU=Staff,DC=example,DC=test";
  id.certificate.serial_hex = "0a1b2c";
  id.certificate.rfc9440 = ":MIIBAg==:";
  cba::ldap::directory_account account;
  account.upn = "alice@example.test";
  account.sam_account_name = "alice";
  account.sid = "S-1-5-21-1004336348-1177238915-682003330-1104";
  account.dn = "CN=Alice,CN=Users,DC=example,DC=test";
  id.account = account;
  return id;
}

std::string render(std::string_view text, const cba::client_identity& id) {
  std::string error;
  const auto t = identity_template::compile(text, error);
  INFO(error);
  REQUIRE(t.has_value());
  CHECK(error.empty());
  return t->render(id);
}

}  // namespace

TEST_CASE("every field renders", "[http][template]") {
  const auto id = alice();
  CHECK(render("{upn}", id) == "alice@example.test");
  CHECK(render("{sam_account_name}", id) == "alice");
  CHECK(render("{sid}", id) == "S-1-5-21-1004336348-1177238915-682003330-1104");
  CHECK(render("{dn}", id) == "CN=Alice,CN=Users,DC=example,DC=test");
  CHECK(render("{cert_sha256}", id) == std::string(64, 'a'));
  CHECK(render("{cert_issuer}", id) == "CN=Example Issuing CA,DC=example,DC=test");
  CHECK(render("{cert_subject}", id) == "CN=Alice,OU=Staff,DC=example,DC=test");
  CHECK(render("{cert_serial}", id) == "0a1b2c");
  CHECK(render("{cert_rfc9440}", id) == ":MIIBAg==:");
}

TEST_CASE("literals and several fields combine", "[http][template]") {
  const auto id = alice();
  CHECK(render("", id).empty());
  CHECK(render("static", id) == "static");
  CHECK(render("EXAMPLE\\{sam_account_name}", id) == "EXAMPLE\\alice");
  CHECK(render("{upn};{cert_serial};{upn}", id) == "alice@example.test;0a1b2c;alice@example.test");
  CHECK(render("user={sam_account_name} sid={sid}.", id) ==
        "user=alice sid=S-1-5-21-1004336348-1177238915-682003330-1104.");
}

TEST_CASE("account fields are empty without an account", "[http][template]") {
  auto id = alice();
  id.account.reset();
  CHECK(render("{sam_account_name}{sid}{dn}", id).empty());
  CHECK(render("{upn}", id) == "alice@example.test");
}

TEST_CASE("bad templates are refused with a message", "[http][template]") {
  struct row {
    std::string_view text;
    std::string_view message;
  };
  const row rows[] = {
      {"{mail}", "unknown field {mail}"},
      {"{UPN}", "unknown field {UPN}"},
      {"{}", "unknown field {}"},
      {"{upn", "unclosed '{'"},
      {"upn}", "unbalanced '}'"},
      {"{{upn}}", "unknown field {{upn}"},
      {"a\r\nX-Evil: 1", "control character"},
      {"a\nb", "control character"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    std::string error;
    CHECK_FALSE(identity_template::compile(r.text, error).has_value());
    CHECK(error.find(r.message) != std::string::npos);
  }
  std::string error;
  identity_template::compile("{nope}", error);
  CHECK(error.find("{cert_rfc9440}") != std::string::npos);  // lists the known fields
}

TEST_CASE("control characters from the certificate cannot inject headers", "[http][template]") {
  auto id = alice();
  id.certificate.subject = "CN=Mallory\r\nX-Remote-User: administrator\r\n";
  id.certificate.issuer = std::string("CN=A\0B", 6) + "\x7f\t\x1b";
  id.upn = "eve@example.test\n";
  const auto subject = render("{cert_subject}", id);
  CHECK(subject == "CN=Mallory%0D%0AX-Remote-User: administrator%0D%0A");
  CHECK(subject.find_first_of("\r\n") == std::string::npos);
  CHECK(render("{cert_issuer}", id) == "CN=A%00B%7F%09%1B");
  CHECK(render("{upn}", id) == "eve@example.test%0A");
  // Non-ASCII (UTF-8 subjects) passes unchanged.
  id.certificate.subject = "CN=J\xc3\xbcrgen";
  CHECK(render("{cert_subject}", id) == "CN=J\xc3\xbcrgen");
}
