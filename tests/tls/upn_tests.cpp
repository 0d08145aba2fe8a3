#include "proxy/tls/upn.hpp"

#include "tests/tls/test_certs.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace cba;
using namespace cba::tls;
using namespace cba::tls::testing;

namespace {

const test_cert& issuer() {
  static const test_cert ca = make_cert(ca_spec("UPN Test CA"));
  return ca;
}

test_cert with_upns(std::vector<upn_value> upns, std::string cn = "Alice") {
  cert_spec spec = client_spec(cn, "");
  spec.upns = std::move(upns);
  return make_cert(spec, &issuer());
}

config::identity_config san_only() { return {}; }

config::identity_config sources(std::vector<config::upn_source> list,
                                std::vector<std::string> suffixes = {}) {
  config::identity_config identity;
  identity.upn_sources = std::move(list);
  identity.allowed_upn_suffixes = std::move(suffixes);
  return identity;
}

std::string bmp(const std::string& ascii) {
  std::string out;
  for (const char c : ascii) {
    out += '\0';
    out += c;
  }
  return out;
}

}  // namespace

TEST_CASE("select_upn takes the SAN UTF8String UPN", "[tls][upn]") {
  const auto cert = with_upns({{V_ASN1_UTF8STRING, "Alice@Example.Test"}});
  const auto selected = select_upn(cert.get(), san_only());
  CHECK(selected.reason == errc::ok);
  CHECK(selected.upn == "Alice@Example.Test");  // original case kept
  CHECK(selected.detail.empty());
}

TEST_CASE("select_upn accepts non-ASCII UTF-8", "[tls][upn]") {
  const auto cert = with_upns({{V_ASN1_UTF8STRING, "j\xc3\xbcrgen@example.test"}});
  const auto selected = select_upn(cert.get(), san_only());
  CHECK(selected.reason == errc::ok);
  CHECK(selected.upn == "j\xc3\xbcrgen@example.test");
}

TEST_CASE("select_upn refuses a SAN UPN that is not a UTF8String", "[tls][upn]") {
  SECTION("BMPString") {
    const auto cert = with_upns({{V_ASN1_BMPSTRING, bmp("alice@example.test")}});
    const auto selected = select_upn(cert.get(), san_only());
    CHECK(selected.reason == errc::upn_malformed);
    CHECK_THAT(selected.detail, Catch::Contains("BMPSTRING"));
  }
  SECTION("IA5String") {
    const auto cert = with_upns({{V_ASN1_IA5STRING, "alice@example.test"}});
    CHECK(select_upn(cert.get(), san_only()).reason == errc::upn_malformed);
  }
  SECTION("PrintableString next to a good UTF8String") {
    const auto cert = with_upns({{V_ASN1_UTF8STRING, "alice@example.test"},
                                 {V_ASN1_PRINTABLESTRING, "alice@example.test"}});
    CHECK(select_upn(cert.get(), san_only()).reason == errc::upn_malformed);
  }
  SECTION("INTEGER") {
    const auto cert = with_upns({{V_ASN1_INTEGER, std::string("\x01", 1)}});
    CHECK(select_upn(cert.get(), san_only()).reason == errc::upn_malformed);
  }
}

TEST_CASE("select_upn refuses malformed UPN values", "[tls][upn]") {
  const auto refused = [](const std::string& bytes) {
    const auto cert = with_upns({{V_ASN1_UTF8STRING, bytes}});
    const auto selected = select_upn(cert.get(), san_only());
    INFO(escape_for_log(bytes) << " -> " << selected.detail);
    CHECK(selected.reason == errc::upn_malformed);
    CHECK(selected.upn.empty());
    // The detail never carries the raw control bytes.
    CHECK(std::all_of(selected.detail.begin(), selected.detail.end(),
                      [](char c) { return static_cast<unsigned char>(c) >= 0x20; }));
  };
  refused(std::string("alice\0@example.test", 19));
  refused(std::string("alice@example.test\0evil", 23));
  refused("alice\r\nX-Remote-User: admin@example.test");
  refused("alice\t@example.test");
  refused("alice @example.test");
  refused("alice@example.test\x7f");
  refused("alice\xc2\x85@example.test");      // NEL (C1 control)
  refused("alice\xe2\x80\xa8@example.test");  // LINE SEPARATOR
  refused("alice\xc2\xa0@example.test");      // NO-BREAK SPACE
  refused("alice\xe2\x80\x8b@example.test");  // ZERO WIDTH SPACE
  refused("alice\xff@example.test");          // invalid UTF-8
  refused("alice\xc0\xa0@example.test");      // overlong
  refused("alice\xed\xa0\x80@example.test");  // surrogate
  refused("alice@example.test\xe2\x82");      // truncated sequence
  refused("alice.example.test");              // no '@'
  refused("alice@@example.test");
  refused("alice@example@test");
  refused("@example.test");
  refused("alice@");
  refused("");
  refused(std::string(1020, 'a') + "@example.test");
}

TEST_CASE("escape_for_log keeps printable ASCII and hex-escapes the rest", "[tls][upn]") {
  CHECK(escape_for_log(std::string("a\0b\"\\\xff", 6)) == "a\\x00b\\x22\\x5c\\xff");
}

TEST_CASE("select_upn: two different UPNs are ambiguous, duplicates are fine", "[tls][upn]") {
  SECTION("different") {
    const auto cert = with_upns({{V_ASN1_UTF8STRING, "alice@example.test"},
                                 {V_ASN1_UTF8STRING, "mallory@example.test"}});
    const auto selected = select_upn(cert.get(), san_only());
    CHECK(selected.reason == errc::upn_ambiguous);
    CHECK_THAT(selected.detail, Catch::Contains("mallory@example.test"));
  }
  SECTION("identical up to case") {
    const auto cert = with_upns({{V_ASN1_UTF8STRING, "alice@example.test"},
                                 {V_ASN1_UTF8STRING, "ALICE@Example.Test"}});
    const auto selected = select_upn(cert.get(), san_only());
    CHECK(selected.reason == errc::ok);
    CHECK(selected.upn == "alice@example.test");
  }
}

TEST_CASE("select_upn: no UPN is upn_missing", "[tls][upn]") {
  const auto cert = with_upns({});
  const auto selected = select_upn(cert.get(), san_only());
  CHECK(selected.reason == errc::upn_missing);
  CHECK_FALSE(selected.detail.empty());
}

TEST_CASE("select_upn uses the subject only when subject_upn is configured", "[tls][upn]") {
  const auto cert = with_upns({}, "alice@example.test");
  CHECK(select_upn(cert.get(), san_only()).reason == errc::upn_missing);

  const auto selected = select_upn(cert.get(), sources({config::upn_source::subject_upn}));
  CHECK(selected.reason == errc::ok);
  CHECK(selected.upn == "alice@example.test");

  SECTION("a CN that is not a UPN is no UPN") {
    const auto plain = with_upns({}, "Alice");
    CHECK(select_upn(plain.get(), sources({config::upn_source::subject_upn})).reason ==
          errc::upn_missing);
  }
  SECTION("a malformed CN UPN is refused") {
    const auto bad = with_upns({}, "alice@@example.test");
    CHECK(select_upn(bad.get(), sources({config::upn_source::subject_upn})).reason ==
          errc::upn_malformed);
  }
  SECTION("two CNs with different UPNs are ambiguous") {
    cert_spec spec = client_spec("x", "");
    spec.subject = {{"CN", "alice@example.test"}, {"CN", "bob@example.test"}};
    const auto two = make_cert(spec, &issuer());
    CHECK(select_upn(two.get(), sources({config::upn_source::subject_upn})).reason ==
          errc::upn_ambiguous);
  }
}

TEST_CASE("select_upn tries sources in the configured order", "[tls][upn]") {
  const auto cert = with_upns({{V_ASN1_UTF8STRING, "san@example.test"}}, "subject@example.test");
  using config::upn_source;
  CHECK(select_upn(cert.get(), sources({upn_source::san_upn, upn_source::subject_upn})).upn ==
        "san@example.test");
  CHECK(select_upn(cert.get(), sources({upn_source::subject_upn, upn_source::san_upn})).upn ==
        "subject@example.test");

  SECTION("falls through to the subject when the SAN has none") {
    const auto no_san = with_upns({}, "subject@example.test");
    CHECK(select_upn(no_san.get(), sources({upn_source::san_upn, upn_source::subject_upn})).upn ==
          "subject@example.test");
  }
  SECTION("a malformed SAN UPN refuses instead of falling through") {
    const auto bad = with_upns({{V_ASN1_BMPSTRING, bmp("a@example.test")}}, "subject@example.test");
    CHECK(select_upn(bad.get(), sources({upn_source::san_upn, upn_source::subject_upn})).reason ==
          errc::upn_malformed);
  }
}

TEST_CASE("select_upn applies allowed_upn_suffixes case-insensitively and exactly", "[tls][upn]") {
  using config::upn_source;
  const auto cert = with_upns({{V_ASN1_UTF8STRING, "alice@Example.TEST"}});
  CHECK(select_upn(cert.get(), sources({upn_source::san_upn}, {"@example.test"})).reason == errc::ok);
  CHECK(select_upn(cert.get(), sources({upn_source::san_upn}, {"@other.test", "@example.test"})).reason ==
        errc::ok);
  const auto refused = select_upn(cert.get(), sources({upn_source::san_upn}, {"@other.test"}));
  CHECK(refused.reason == errc::upn_suffix_not_allowed);
  CHECK(refused.upn.empty());
  // A parent domain does not allow a subdomain, nor the reverse.
  const auto sub = with_upns({{V_ASN1_UTF8STRING, "alice@sub.example.test"}});
  CHECK(select_upn(sub.get(), sources({upn_source::san_upn}, {"@example.test"})).reason ==
        errc::upn_suffix_not_allowed);
  const auto tricky = with_upns({{V_ASN1_UTF8STRING, "alice@evilexample.test"}});
  CHECK(select_upn(tricky.get(), sources({upn_source::san_upn}, {"@example.test"})).reason ==
        errc::upn_suffix_not_allowed);
}

TEST_CASE("upn_problem accepts ordinary UPNs", "[tls][upn]") {
  CHECK_FALSE(upn_problem("alice@example.test"));
  CHECK_FALSE(upn_problem("first.last+tag@sub.example.test"));
  CHECK(upn_problem("a b@example.test"));
}
