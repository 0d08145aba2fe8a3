// The KB5014754 mapping decision, pure: certificate facts + account attributes + mode. Every rule of
// proxy/certificate_mapping.hpp in every mode.
#include "proxy/certificate_mapping.hpp"

#include "proxy/admin/metrics.hpp"

#include <catch2/catch.hpp>

using cba::errc;
using cba::mapping_facts;
using cba::config::certificate_mapping_mode;
using cba::tls::altsecid_candidate;
using cba::tls::altsecid_kind;

namespace {

const std::string alice_sid = "S-1-5-21-1004336348-1177238915-682003330-1104";
const std::string issuer_serial = "X509:<I>DC=test,DC=example,CN=Example Issuing CA<SR>2c1b8a00";

const auto all_modes = {certificate_mapping_mode::strong, certificate_mapping_mode::compatibility,
                        certificate_mapping_mode::upn};

mapping_facts facts_with_sid(const std::string& sid, std::string source = "extension") {
  mapping_facts f;
  f.sid.sid = sid;
  f.sid.source = std::move(source);
  return f;
}

mapping_facts facts_without_sid() {
  mapping_facts f;
  f.candidates = {{altsecid_kind::issuer_serial, issuer_serial},
                  {altsecid_kind::ski, "X509:<SKI>010203abcdef"},
                  {altsecid_kind::sha1_pukey, "X509:<SHA1-PUKEY>00112233445566778899aabbccddeeff00112233"},
                  {altsecid_kind::sha1_pukey, "X509:<SHA1-PUKEY>ffeeddccbbaa99887766554433221100ffeeddcc"},
                  {altsecid_kind::issuer_subject, "X509:<I>DC=test,DC=example,CN=Example Issuing CA<S>CN=Alice"},
                  {altsecid_kind::subject, "X509:<S>CN=Alice"},
                  {altsecid_kind::rfc822, "X509:<RFC822>alice@example.test"}};
  return f;
}

cba::ldap::directory_account alice(std::vector<std::string> alt_security_identities = {}) {
  cba::ldap::directory_account a;
  a.upn = "alice@example.test";
  a.sam_account_name = "alice";
  a.sid = alice_sid;
  a.alt_security_identities = std::move(alt_security_identities);
  return a;
}

}  // namespace

TEST_CASE("a certificate SID equal to the account's is a strong mapping in every mode") {
  for (auto mode : all_modes) {
    CAPTURE(cba::mapping_mode_name(mode));
    for (const char* source : {"extension", "san_url", "extension+san_url"}) {
      const auto d = cba::decide_mapping(facts_with_sid(alice_sid, source), alice(), mode);
      CHECK(d.reason == errc::ok);
      CHECK(d.kind == "sid");
      CHECK(d.strong);
      CHECK_FALSE(d.warning);
      CHECK_THAT(d.detail, Catch::Contains(source));
    }
  }
  // A lower-case "s-" in a hand-written file directory still compares.
  auto account = alice();
  account.sid = "s" + alice_sid.substr(1);
  CHECK(cba::decide_mapping(facts_with_sid(alice_sid), account, certificate_mapping_mode::strong).reason == errc::ok);
}

TEST_CASE("a certificate SID different from the account's is refused in every mode") {
  for (auto mode : all_modes) {
    CAPTURE(cba::mapping_mode_name(mode));
    const auto d = cba::decide_mapping(facts_with_sid("S-1-5-21-1004336348-1177238915-682003330-1199"), alice(), mode);
    CHECK(d.reason == errc::sid_mismatch);
    CHECK_THAT(d.detail, Catch::Contains("682003330-1199") && Catch::Contains(alice_sid));

    // Even when an altSecurityIdentities value would map it strongly: the SID is authoritative.
    auto facts = facts_with_sid("S-1-5-21-1-2-3-500");
    facts.candidates = facts_without_sid().candidates;
    CHECK(cba::decide_mapping(facts, alice({issuer_serial}), mode).reason == errc::sid_mismatch);

    // An account without a (valid) SID cannot confirm the certificate's.
    auto no_sid = alice();
    no_sid.sid.clear();
    CHECK(cba::decide_mapping(facts_with_sid(alice_sid), no_sid, mode).reason == errc::sid_mismatch);
    no_sid.sid = "S-1-5-21-garbage";
    CHECK(cba::decide_mapping(facts_with_sid(alice_sid), no_sid, mode).reason == errc::sid_mismatch);
  }
}

TEST_CASE("a malformed or ambiguous certificate SID is refused in every mode") {
  for (auto reason : {errc::sid_extension_malformed, errc::sid_ambiguous}) {
    for (auto mode : all_modes) {
      CAPTURE(cba::mapping_mode_name(mode), cba::reason_code(reason));
      auto facts = facts_without_sid();
      facts.sid.reason = reason;
      facts.sid.detail = "why";
      const auto d = cba::decide_mapping(facts, alice({issuer_serial}), mode);
      CHECK(d.reason == reason);
      CHECK(d.kind.empty());
      CHECK(d.detail == "why");
    }
  }
}

TEST_CASE("a strong altSecurityIdentities value maps the certificate in every mode") {
  auto [stored, kind] = GENERATE(table<std::string, std::string>({
      {"X509:<I>DC=test,DC=example,CN=Example Issuing CA<SR>2C1B8A00", "strong_altsecid:issuer_serial"},
      {"X509:<I>DC=test,DC=example,CN=Example Issuing CA<SR>2C1B8A", "strong_altsecid:issuer_serial"},
      {"X509:<SKI>010203ABCDEF", "strong_altsecid:ski"},
      {"X509:<SHA1-PUKEY>00112233445566778899AABBCCDDEEFF00112233", "strong_altsecid:sha1_pukey"},
      {"X509:<SHA1-PUKEY>ffeeddccbbaa99887766554433221100ffeeddcc", "strong_altsecid:sha1_pukey"},
  }));
  for (auto mode : all_modes) {
    CAPTURE(stored, cba::mapping_mode_name(mode));
    // Unrelated and weak values beside it change nothing.
    const auto d = cba::decide_mapping(facts_without_sid(),
                                       alice({"Kerberos:alice@EXAMPLE.TEST", "X509:<S>CN=Alice", stored}), mode);
    CHECK(d.reason == errc::ok);
    CHECK(d.kind == kind);
    CHECK(d.strong);
    CHECK_FALSE(d.warning);
    CHECK(d.matched == stored);
  }
}

TEST_CASE("weak mappings: refused by strong, admitted with a warning by compatibility, silently by upn") {
  auto [stored, kind] = GENERATE(table<std::string, std::string>({
      {"", "upn"},
      {"X509:<S>CN=Alice", "weak_altsecid:subject"},
      {"X509:<I>DC=test,DC=example,CN=Example Issuing CA<S>CN=Alice", "weak_altsecid:issuer_subject"},
      {"X509:<RFC822>alice@example.test", "weak_altsecid:rfc822"},
      {"X509:<I>DC=test,DC=example,CN=Example Issuing CA<SR>2c1b8b00", "upn"},  // another serial
      {"X509:<SKI>010203abcdee", "upn"},
  }));
  CAPTURE(stored);
  const auto account = stored.empty() ? alice() : alice({stored});

  const auto strong = cba::decide_mapping(facts_without_sid(), account, certificate_mapping_mode::strong);
  CHECK(strong.reason == errc::mapping_weak);
  CHECK(strong.kind == kind);
  CHECK_FALSE(strong.strong);
  CHECK_FALSE(strong.detail.empty());

  const auto compat = cba::decide_mapping(facts_without_sid(), account, certificate_mapping_mode::compatibility);
  CHECK(compat.reason == errc::ok);
  CHECK(compat.kind == kind);
  CHECK(compat.warning);

  const auto upn = cba::decide_mapping(facts_without_sid(), account, certificate_mapping_mode::upn);
  CHECK(upn.reason == errc::ok);
  CHECK(upn.kind == kind);
  CHECK_FALSE(upn.warning);
}

TEST_CASE("a certificate without candidates maps by UPN only") {
  const auto d = cba::decide_mapping(mapping_facts{}, alice({issuer_serial}), certificate_mapping_mode::strong);
  CHECK(d.reason == errc::mapping_weak);
  CHECK(d.kind == "upn");
}

TEST_CASE("mapping refusals have stable names, are 403 and fit the metrics") {
  for (auto e : {errc::sid_extension_malformed, errc::sid_ambiguous, errc::sid_mismatch, errc::mapping_weak}) {
    INFO(static_cast<int>(e));
    CHECK(cba::to_http_status(e) == 403);
    CHECK(cba::reason_code(e) != "unknown");
    CHECK(static_cast<std::size_t>(e) < cba::admin::metrics::reason_slots);
  }
  CHECK(cba::reason_code(errc::sid_extension_malformed) == "sid_extension_malformed");
  CHECK(cba::reason_code(errc::sid_ambiguous) == "sid_ambiguous");
  CHECK(cba::reason_code(errc::sid_mismatch) == "sid_mismatch");
  CHECK(cba::reason_code(errc::mapping_weak) == "mapping_weak");
  // Appended after the existing codes: metrics slots and logs keep their numbers.
  CHECK(static_cast<int>(errc::sid_extension_malformed) > static_cast<int>(errc::too_many_connections));
}
