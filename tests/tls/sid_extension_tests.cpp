// The KB5014754 SID a certificate names: the 1.3.6.1.4.1.311.25.2 extension (golden DER in AD CS's
// layout), the SAN URL form, and every malformed shape refused.
#include "proxy/tls/sid_extension.hpp"

#include "proxy/tls/ossl.hpp"
#include "tests/tls/test_certs.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace cba::tls;
using namespace cba::tls::testing;
using cba::errc;

namespace {

const std::string alice_sid = "S-1-5-21-1004336348-1177238915-682003330-1104";

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

std::string hex_of(std::string_view bytes) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : bytes) {
    out += digits[static_cast<unsigned char>(c) >> 4U];
    out += digits[static_cast<unsigned char>(c) & 0x0FU];
  }
  return out;
}

// The extension value exactly as MS-WCCE 2.2.2.7.7.4 / AD CS lay it out, built by hand byte by byte:
// 30 3F  SEQUENCE
//   A0 3D  [0] otherName
//     06 0A 2B0601040182371902 01  OID 1.3.6.1.4.1.311.25.2.1
//     A0 2F  [0] EXPLICIT
//       04 2D  OCTET STRING, 45 bytes: "S-1-5-21-1004336348-1177238915-682003330-1104"
const std::string golden_hex = "303FA03D060A2B060104018237190201A02F042D" + hex_of(alice_sid);

// Adds a raw 1.3.6.1.4.1.311.25.2 extension (the signature goes stale: parsing does not check it).
void add_sid_extension(X509* cert, const std::string& der) {
  const asn1_object_ptr oid{OBJ_txt2obj(sid_extension_oid, 1)};
  const asn1_string_ptr data{ASN1_OCTET_STRING_new()};
  REQUIRE(ASN1_OCTET_STRING_set(data.get(), reinterpret_cast<const unsigned char*>(der.data()),
                                static_cast<int>(der.size())) == 1);
  const x509_extension_ptr ext{X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 0, data.get())};
  REQUIRE(ext);
  REQUIRE(X509_add_ext(cert, ext.get(), -1) == 1);
}

void add_san_uris(X509* cert, const std::vector<std::string>& uris) {
  const general_names_ptr names{GENERAL_NAMES_new()};
  for (const auto& uri : uris) {
    general_name_ptr name{GENERAL_NAME_new()};
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    REQUIRE(ASN1_STRING_set(ia5, uri.data(), static_cast<int>(uri.size())) == 1);
    GENERAL_NAME_set0_value(name.get(), GEN_URI, ia5);
    REQUIRE(sk_GENERAL_NAME_push(names.get(), name.release()) > 0);
  }
  REQUIRE(X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) == 1);
}

test_cert plain_cert() {
  cert_spec spec;
  spec.subject = {{"CN", "Alice"}};
  return make_cert(spec);
}

}  // namespace

TEST_CASE("sid_problem accepts canonical SIDs only") {
  CHECK_FALSE(sid_problem(alice_sid));
  CHECK_FALSE(sid_problem("S-1-5-18"));
  CHECK_FALSE(sid_problem("S-1-0-0"));
  CHECK_FALSE(sid_problem("S-1-281474976710655-4294967295"));  // the largest authority and sub-authority
  CHECK_FALSE(sid_problem("S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15"));
  for (std::string bad : {"", "S-1-5", "S-1-", "s-1-5-18", "S-2-5-18", "S-1-5-18-", "S-1-5--18", "S-1-05-18",
                          "S-1-5-018", "S-1-5-4294967296", "S-1-281474976710656-1", "S-1-5-21-abc", " S-1-5-18",
                          "S-1-5-18 ", "S-1-5-+18", "S-1-0x5-18", "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16",
                          "S-1-5-99999999999999999999999"}) {
    INFO(bad);
    CHECK(sid_problem(bad));
  }
  CHECK(sid_problem(std::string("S-1-5-18\0", 9)));
}

TEST_CASE("the SID extension in AD CS's layout parses (golden DER)") {
  const auto r = parse_sid_extension(from_hex(golden_hex));
  CHECK(r.reason == errc::ok);
  CHECK(r.sid == alice_sid);
  CHECK(r.source == "extension");
  // The shorter hand encodings the malformed cases below vary are well-formed with a proper SID.
  CHECK(parse_sid_extension(from_hex("301AA018060A2B060104018237190201A00A0408" + hex_of("S-1-5-18"))).sid ==
        "S-1-5-18");

  // The test PKI's openssl configuration produces exactly these bytes.
  const auto cert = load_pem(script_pki_file("alice-sid.pem"));
  const asn1_object_ptr oid{OBJ_txt2obj(sid_extension_oid, 1)};
  const int index = X509_get_ext_by_OBJ(cert.get(), oid.get(), -1);
  REQUIRE(index >= 0);
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(cert.get(), index));
  CHECK(hex_of(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                                static_cast<std::size_t>(ASN1_STRING_length(data)))) == golden_hex);
}

TEST_CASE("malformed SID extensions are refused") {
  const std::string sid = hex_of(alice_sid);
  auto [name, hex] = GENERATE_COPY(table<std::string, std::string>({
      {"empty value", ""},
      {"bare OCTET STRING", "042D" + sid},
      {"bare UTF8String in the structure", "303FA03D060A2B060104018237190201A02F0C2D" + sid},
      {"wrong inner OID (.25.2.2)", "303FA03D060A2B060104018237190202A02F042D" + sid},
      {"value not wrapped in [0]", "303DA03B060A2B060104018237190201042D" + sid},
      {"otherName as SEQUENCE, not [0]", "303F303D060A2B060104018237190201A02F042D" + sid},
      {"trailing byte after the SEQUENCE", golden_hex + "00"},
      {"trailing byte inside [0] EXPLICIT", "3040A03E060A2B060104018237190201A030042D" + sid + "00"},
      {"indefinite length", "3080A03D060A2B060104018237190201A02F042D" + sid + "0000"},
      {"non-minimal long length", "30813FA03D060A2B060104018237190201A02F042D" + sid},
      {"length beyond the data", "3040A03D060A2B060104018237190201A02F042D" + sid},
      {"empty SEQUENCE", "3000"},
      {"not a SID", "301EA01C060A2B060104018237190201A00E040C" + hex_of("not-a-sid!!!")},
      {"SID with a NUL", "3018A016060A2B060104018237190201A0080406" + hex_of(std::string("S-1-5\0", 6))},
      {"lowercase s", "301AA018060A2B060104018237190201A00A0408" + hex_of("s-1-5-18")},
  }));
  CAPTURE(name, hex);
  const auto r = parse_sid_extension(from_hex(hex));
  CHECK(r.reason == errc::sid_extension_malformed);
  CHECK(r.sid.empty());
  CHECK_FALSE(r.detail.empty());
}

TEST_CASE("several entries in the SID extension must agree") {
  const std::string entry = "A03D060A2B060104018237190201A02F042D" + hex_of(alice_sid);
  const auto same = parse_sid_extension(from_hex("307E" + entry + entry));
  CHECK(same.reason == errc::ok);
  CHECK(same.sid == alice_sid);
  const std::string other_sid = "S-1-5-21-1004336348-1177238915-682003330-1199";
  const std::string other = "A03D060A2B060104018237190201A02F042D" + hex_of(other_sid);
  const auto different = parse_sid_extension(from_hex("307E" + entry + other));
  CHECK(different.reason == errc::sid_ambiguous);
  CHECK_THAT(different.detail, Catch::Contains(alice_sid) && Catch::Contains(other_sid));
}

TEST_CASE("the SAN URL form names a SID; its prefix is case-insensitive") {
  const auto r = parse_sid_url("tag:microsoft.com,2022-09-14:sid:" + alice_sid);
  REQUIRE(r);
  CHECK(r->reason == errc::ok);
  CHECK(r->sid == alice_sid);
  CHECK(r->source == "san_url");
  const auto upper = parse_sid_url("TAG:Microsoft.COM,2022-09-14:SID:" + alice_sid);
  REQUIRE(upper);
  CHECK(upper->sid == alice_sid);

  CHECK_FALSE(parse_sid_url("https://example.test/" + alice_sid));
  CHECK_FALSE(parse_sid_url("tag:microsoft.com,2022-09-15:sid:" + alice_sid));
  const auto bad = parse_sid_url("tag:microsoft.com,2022-09-14:sid:S-1-5-21-x");
  REQUIRE(bad);
  CHECK(bad->reason == errc::sid_extension_malformed);
  const auto empty = parse_sid_url("tag:microsoft.com,2022-09-14:sid:");
  REQUIRE(empty);
  CHECK(empty->reason == errc::sid_extension_malformed);
}

TEST_CASE("the test PKI's certificates name the SIDs the script put in them") {
  const auto alice = read_certificate_sid(load_pem(script_pki_file("alice.pem")).get());
  CHECK(alice.reason == errc::ok);
  CHECK(alice.sid.empty());

  const auto ext = read_certificate_sid(load_pem(script_pki_file("alice-sid.pem")).get());
  CHECK(ext.reason == errc::ok);
  CHECK(ext.sid == alice_sid);
  CHECK(ext.source == "extension");

  const auto url = read_certificate_sid(load_pem(script_pki_file("alice-sid-url.pem")).get());
  CHECK(url.reason == errc::ok);
  CHECK(url.sid == alice_sid);
  CHECK(url.source == "san_url");

  const auto wrong = read_certificate_sid(load_pem(script_pki_file("alice-wrong-sid.pem")).get());
  CHECK(wrong.reason == errc::ok);
  CHECK(wrong.sid == "S-1-5-21-1004336348-1177238915-682003330-1199");

  const auto bad = read_certificate_sid(load_pem(script_pki_file("bad-sid-ext.pem")).get());
  CHECK(bad.reason == errc::sid_extension_malformed);
}

TEST_CASE("extension and SAN URL together must name one SID") {
  SECTION("the same SID in both") {
    auto cert = plain_cert();
    add_sid_extension(cert.get(), from_hex(golden_hex));
    add_san_uris(cert.get(), {"tag:microsoft.com,2022-09-14:sid:" + alice_sid});
    const auto r = read_certificate_sid(cert.get());
    CHECK(r.reason == errc::ok);
    CHECK(r.sid == alice_sid);
    CHECK(r.source == "extension+san_url");
  }
  SECTION("different SIDs") {
    auto cert = plain_cert();
    add_sid_extension(cert.get(), from_hex(golden_hex));
    add_san_uris(cert.get(), {"tag:microsoft.com,2022-09-14:sid:S-1-5-21-1-2-3-500"});
    CHECK(read_certificate_sid(cert.get()).reason == errc::sid_ambiguous);
  }
  SECTION("two different SAN URLs") {
    auto cert = plain_cert();
    add_san_uris(cert.get(), {"tag:microsoft.com,2022-09-14:sid:" + alice_sid,
                              "tag:microsoft.com,2022-09-14:sid:S-1-5-21-1-2-3-500"});
    CHECK(read_certificate_sid(cert.get()).reason == errc::sid_ambiguous);
  }
  SECTION("the extension twice, one malformed") {
    auto cert = plain_cert();
    add_sid_extension(cert.get(), from_hex(golden_hex));
    add_sid_extension(cert.get(), from_hex("3000"));
    CHECK(read_certificate_sid(cert.get()).reason == errc::sid_extension_malformed);
  }
  SECTION("a malformed SAN URL beside a good extension") {
    auto cert = plain_cert();
    add_sid_extension(cert.get(), from_hex(golden_hex));
    add_san_uris(cert.get(), {"tag:microsoft.com,2022-09-14:sid:S-1-5-21-1104x"});
    CHECK(read_certificate_sid(cert.get()).reason == errc::sid_extension_malformed);
  }
  SECTION("other URLs are ignored") {
    auto cert = plain_cert();
    add_san_uris(cert.get(), {"https://example.test/S-1-5-18"});
    const auto r = read_certificate_sid(cert.get());
    CHECK(r.reason == errc::ok);
    CHECK(r.sid.empty());
  }
}
