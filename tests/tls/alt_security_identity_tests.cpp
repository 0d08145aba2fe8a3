// altSecurityIdentities candidates in Windows form. Golden values: written by hand from the
// certificate's fields (names, serial), from Microsoft's published examples (the Spat's WebLog issuer +
// serial example, config.md's), and computed by the openssl CLI for the test PKI's certificates.
#include "proxy/tls/alt_security_identity.hpp"

#include "proxy/tls/ossl.hpp"
#include "tests/tls/test_certs.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

using namespace cba::tls;
using namespace cba::tls::testing;

namespace {

std::string lowered(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  return s;
}

std::vector<std::string> values_of(const std::vector<altsecid_candidate>& candidates, altsecid_kind kind) {
  std::vector<std::string> out;
  for (const auto& c : candidates)
    if (c.kind == kind) out.push_back(c.value);
  return out;
}

test_cert issuing_ca(std::vector<std::pair<std::string, std::string>> subject) {
  cert_spec spec = ca_spec("unused");
  spec.subject = std::move(subject);
  return make_cert(spec);
}

void add_ski(X509* cert, const std::string& bytes) {
  const asn1_string_ptr ski{ASN1_OCTET_STRING_new()};
  REQUIRE(ASN1_OCTET_STRING_set(ski.get(), reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size())) == 1);
  REQUIRE(X509_add1_ext_i2d(cert, NID_subject_key_identifier, ski.get(), 0, X509V3_ADD_DEFAULT) == 1);
}

void add_san_email(X509* cert, const std::string& email) {
  const general_names_ptr names{GENERAL_NAMES_new()};
  general_name_ptr name{GENERAL_NAME_new()};
  ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
  REQUIRE(ASN1_STRING_set(ia5, email.data(), static_cast<int>(email.size())) == 1);
  GENERAL_NAME_set0_value(name.get(), GEN_EMAIL, ia5);
  REQUIRE(sk_GENERAL_NAME_push(names.get(), name.release()) > 0);
  REQUIRE(X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) == 1);
}

const std::vector<std::pair<std::string, std::string>> example_issuer{
    {"DC", "test"}, {"DC", "example"}, {"CN", "Example Issuing CA"}};

}  // namespace

TEST_CASE("names are written most significant RDN first with Windows keys and quoting") {
  const auto ca = issuing_ca(example_issuer);
  CHECK(windows_name_string(X509_get_subject_name(ca.get())) == "DC=test,DC=example,CN=Example Issuing CA");

  cert_spec spec;
  spec.subject = {{"C", "DE"},
                  {"ST", "Bayern"},
                  {"L", "M\xC3\xBCnchen"},
                  {"street", "Hauptstr. 1"},
                  {"O", "Example, Inc."},
                  {"OU", "IT"},
                  {"title", "Dr"},
                  {"GN", "Alice"},
                  {"SN", "Example"},
                  {"CN", "Alice \"Al\" Example"},
                  {"emailAddress", "alice@example.test"}};
  const auto leaf = make_cert(spec, &ca);
  CHECK(windows_name_string(X509_get_subject_name(leaf.get())) ==
        "C=DE,S=Bayern,L=M\xC3\xBCnchen,STREET=Hauptstr. 1,O=\"Example, Inc.\",OU=IT,T=Dr,G=Alice,SN=Example,"
        "CN=\"Alice \"\"Al\"\" Example\",E=alice@example.test");

  const x509_name_ptr name{X509_NAME_new()};
  const auto add = [&](const char* field, const char* value, int set) {
    REQUIRE(X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(value), -1, -1, set) == 1);
  };
  CHECK(windows_name_string(name.get()).empty());
  add("OU", "Sales", 0);
  add("CN", "Bob", -1);  // same RDN as OU: multi-valued
  add("1.2.3.4", "x", 0);
  add("CN", " lead", 0);
  add("CN", "#hash", 0);
  add("CN", "a=b;c<d>", 0);
  CHECK(windows_name_string(name.get()) == "OU=Sales+CN=Bob,OID.1.2.3.4=x,CN=\" lead\",CN=\"#hash\",CN=\"a=b;c<d>\"");
}

TEST_CASE("candidates of a hand-made certificate, checked by hand") {
  const auto ca = issuing_ca(example_issuer);
  cert_spec spec;
  spec.subject = {{"O", "Example"}, {"CN", "Alice"}, {"emailAddress", "alice@example.test"}};
  spec.serial_hex = "8A1B2C";  // DER content 00 8A 1B 2C (sign byte): reversed 2c 1b 8a 00
  auto leaf = make_cert(spec, &ca);
  add_ski(leaf.get(), std::string("\x01\x02\x03\xAB\xCD\xEF", 6));
  add_san_email(leaf.get(), "alice.mail@example.test");

  const auto c = altsecid_candidates(leaf.get());
  std::vector<altsecid_kind> kinds;
  for (const auto& x : c) kinds.push_back(x.kind);
  CHECK(kinds == std::vector<altsecid_kind>{altsecid_kind::issuer_serial, altsecid_kind::ski, altsecid_kind::sha1_pukey,
                                            altsecid_kind::sha1_pukey, altsecid_kind::issuer_subject,
                                            altsecid_kind::subject, altsecid_kind::rfc822, altsecid_kind::rfc822});
  CHECK(values_of(c, altsecid_kind::issuer_serial) ==
        std::vector<std::string>{"X509:<I>DC=test,DC=example,CN=Example Issuing CA<SR>2c1b8a00"});
  CHECK(values_of(c, altsecid_kind::ski) == std::vector<std::string>{"X509:<SKI>010203abcdef"});
  CHECK(values_of(c, altsecid_kind::issuer_subject) ==
        std::vector<std::string>{
            "X509:<I>DC=test,DC=example,CN=Example Issuing CA<S>O=Example,CN=Alice,E=alice@example.test"});
  CHECK(values_of(c, altsecid_kind::subject) ==
        std::vector<std::string>{"X509:<S>O=Example,CN=Alice,E=alice@example.test"});
  CHECK(values_of(c, altsecid_kind::rfc822) ==
        std::vector<std::string>{"X509:<RFC822>alice.mail@example.test", "X509:<RFC822>alice@example.test"});
  for (const auto& x : c) CHECK(is_strong(x.kind) == (x.kind == altsecid_kind::issuer_serial ||
                                                      x.kind == altsecid_kind::ski || x.kind == altsecid_kind::sha1_pukey));

  // SHA1-PUKEY: the thumbprint and SHA-1 of the key bits, both computed again by the openssl CLI.
  const temp_dir dir;
  write_file(dir.file("leaf.pem"), to_pem(leaf.get()));
  const auto fingerprint = trimmed(run_command("openssl x509 -in '" + dir.file("leaf.pem") +
                                               "' -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'"));
  const auto key_bits = trimmed(run_command("openssl x509 -in '" + dir.file("leaf.pem") +
                                            "' -noout -pubkey | openssl pkey -pubin -outform DER | tail -c 65 | "
                                            "openssl dgst -sha1 -r | cut -d' ' -f1"));
  CHECK(values_of(c, altsecid_kind::sha1_pukey) ==
        std::vector<std::string>{"X509:<SHA1-PUKEY>" + lowered(fingerprint), "X509:<SHA1-PUKEY>" + key_bits});
}

TEST_CASE("issuer and serial reproduce Microsoft's published examples") {
  // Spat's WebLog (Microsoft, "map a user to a certificate via all the methods available in the
  // altSecurityIdentities attribute"): X509:<I>DC=local,DC=dod,CN=SpatDoD Root CA<SR>32000000000003bde810,
  // i.e. a certificate whose serial is 10 e8 bd 03 00 00 00 00 00 32.
  const auto spat_ca = issuing_ca({{"DC", "local"}, {"DC", "dod"}, {"CN", "SpatDoD Root CA"}});
  cert_spec spat;
  spat.serial_hex = "10E8BD03000000000032";
  const auto spat_leaf = make_cert(spat, &spat_ca);
  CHECK(values_of(altsecid_candidates(spat_leaf.get()), altsecid_kind::issuer_serial) ==
        std::vector<std::string>{"X509:<I>DC=local,DC=dod,CN=SpatDoD Root CA<SR>32000000000003bde810"});

  // config.md's file-directory example names the certificate with serial 2c 1b 0a.
  const auto ca = issuing_ca(example_issuer);
  cert_spec doc;
  doc.serial_hex = "2C1B0A";
  const auto doc_leaf = make_cert(doc, &ca);
  const auto candidates = altsecid_candidates(doc_leaf.get());
  REQUIRE(!candidates.empty());
  CHECK(altsecid_matches("X509:<I>DC=test,DC=example,CN=Example Issuing CA<SR>0a1b2c", candidates.front()));
}

TEST_CASE("the test PKI's strong leaf: candidates equal what the openssl CLI computes") {
  const auto path = script_pki_file("strong.pem");
  const auto cert = load_pem(path);
  const auto c = altsecid_candidates(cert.get());

  // users.yaml's value was computed by the script from `openssl x509 -issuer/-serial`.
  const auto users = read_file(script_pki_file("users.yaml"));
  const auto at = users.find("alt_security_identities: [\"");
  REQUIRE(at != std::string::npos);
  const auto begin = at + std::string("alt_security_identities: [\"").size();
  const auto stored = users.substr(begin, users.find('"', begin) - begin);
  CAPTURE(stored);
  CHECK_THAT(stored, Catch::EndsWith("00"));  // the serial's high bit is set: sign byte, last when reversed
  REQUIRE(!values_of(c, altsecid_kind::issuer_serial).empty());
  CHECK(lowered(values_of(c, altsecid_kind::issuer_serial).front()) == lowered(stored));
  CHECK(altsecid_matches(stored, c.front()));

  const auto ski = trimmed(run_command("openssl x509 -in '" + path +
                                       "' -noout -ext subjectKeyIdentifier | sed -n 2p | tr -d ' :'"));
  CHECK(values_of(c, altsecid_kind::ski) == std::vector<std::string>{"X509:<SKI>" + lowered(ski)});
  const auto fingerprint =
      trimmed(run_command("openssl x509 -in '" + path + "' -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'"));
  // openssl's "subjectKeyIdentifier = hash" is SHA-1 of the key bits: the second SHA1-PUKEY candidate.
  CHECK(values_of(c, altsecid_kind::sha1_pukey) ==
        std::vector<std::string>{"X509:<SHA1-PUKEY>" + lowered(fingerprint), "X509:<SHA1-PUKEY>" + lowered(ski)});
  CHECK(values_of(c, altsecid_kind::subject) == std::vector<std::string>{"X509:<S>CN=Strong"});
  CHECK(values_of(c, altsecid_kind::rfc822).empty());
}

TEST_CASE("stored values match case-insensitively, with or without the serial's sign byte") {
  const altsecid_candidate serial{altsecid_kind::issuer_serial,
                                  "X509:<I>DC=test,DC=example,CN=Example Issuing CA<SR>2c1b8a00"};
  CHECK(altsecid_matches("X509:<I>DC=test,DC=example,CN=Example Issuing CA<SR>2c1b8a00", serial));
  CHECK(altsecid_matches("X509:<I>DC=test,DC=example,CN=Example Issuing CA<SR>2C1B8A00", serial));
  CHECK(altsecid_matches("X509:<I>DC=test,DC=example,CN=Example Issuing CA<SR>2C1B8A", serial));
  CHECK(altsecid_matches("x509:<i>dc=test,dc=example,cn=example issuing ca<sr>2c1b8a", serial));
  CHECK_FALSE(altsecid_matches("X509:<I>DC=test,DC=example,CN=Example Issuing CA<SR>2c1b8a0000", serial));
  CHECK_FALSE(altsecid_matches("X509:<I>DC=test,DC=example,CN=Example Issuing CA<SR>008a1b2c", serial));  // not reversed
  CHECK_FALSE(altsecid_matches("X509:<I>DC=test,DC=example,CN=Example Issuing CA<SR>2c1b8", serial));
  CHECK_FALSE(altsecid_matches("X509:<I>DC=test,DC=example,CN=Example Issuing CA<SR>", serial));
  CHECK_FALSE(altsecid_matches("X509:<I>DC=test,DC=example,CN=Example Issuing CA<SR>2c1b8a0g", serial));
  CHECK_FALSE(altsecid_matches("X509:<I>DC=test,DC=example,CN=Other CA<SR>2c1b8a00", serial));
  CHECK_FALSE(altsecid_matches("X509:<I>DC=test,DC=example,CN=Example Issuing CA<SR>2c1b8a00 ", serial));
  CHECK_FALSE(altsecid_matches("Kerberos:alice@EXAMPLE.TEST", serial));
  CHECK_FALSE(altsecid_matches("", serial));

  // Without a sign byte in the certificate, a stored 00 sign byte still names it.
  const altsecid_candidate small{altsecid_kind::issuer_serial, "X509:<I>CN=CA<SR>2c1b0a"};
  CHECK(altsecid_matches("X509:<I>CN=CA<SR>2C1B0A", small));
  CHECK(altsecid_matches("X509:<I>CN=CA<SR>2C1B0A00", small));
  CHECK_FALSE(altsecid_matches("X509:<I>CN=CA<SR>2C1B", small));

  const altsecid_candidate ski{altsecid_kind::ski, "X509:<SKI>010203abcdef"};
  CHECK(altsecid_matches("X509:<SKI>010203ABCDEF", ski));
  CHECK_FALSE(altsecid_matches("X509:<SKI>010203ABCDEF00", ski));
  CHECK_FALSE(altsecid_matches("X509:<SHA1-PUKEY>010203abcdef", ski));
  const altsecid_candidate subject{altsecid_kind::subject, "X509:<S>CN=Strong"};
  CHECK(altsecid_matches("X509:<S>CN=Strong", subject));
  CHECK_FALSE(altsecid_matches("X509:<S>CN=Strong,O=x", subject));
  CHECK_FALSE(altsecid_matches("X509:<I>CN=CA<S>CN=Strong", subject));
}
