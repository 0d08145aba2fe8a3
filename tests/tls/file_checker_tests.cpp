#include "proxy/tls/file_checker.hpp"

#include "proxy/tls/pem.hpp"
#include "tests/tls/test_certs.hpp"

#include <openssl/err.h>

#include <catch2/catch.hpp>

using namespace cba;
using namespace cba::tls;
using namespace cba::tls::testing;
using config::file_kind;

namespace {

std::string crl_der(const test_cert& ca) {
  const x509_crl_ptr crl{X509_CRL_new()};
  REQUIRE(crl);
  REQUIRE(X509_CRL_set_version(crl.get(), 1) == 1);
  REQUIRE(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.get())) == 1);
  const asn1_string_ptr now{ASN1_TIME_adj(nullptr, std::time(nullptr), 0, 0)};
  const asn1_string_ptr next{ASN1_TIME_adj(nullptr, std::time(nullptr), 7, 0)};
  REQUIRE(X509_CRL_set1_lastUpdate(crl.get(), now.get()) == 1);
  REQUIRE(X509_CRL_set1_nextUpdate(crl.get(), next.get()) == 1);
  REQUIRE(X509_CRL_sign(crl.get(), ca.key.get(), EVP_sha256()) > 0);
  const int size = i2d_X509_CRL(crl.get(), nullptr);
  std::string der(static_cast<std::size_t>(size), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  REQUIRE(i2d_X509_CRL(crl.get(), &p) == size);
  return der;
}

}  // namespace

TEST_CASE("file checker: certificate chains", "[tls][file_checker]") {
  const temp_dir dir;
  const openssl_file_checker checker;
  const auto ca = make_cert(ca_spec("Checker CA"));
  const auto leaf = make_cert(client_spec("Leaf", ""), &ca);
  write_file(dir.file("chain.pem"), to_pem(leaf.get()) + to_pem(ca.get()));
  CHECK_FALSE(checker.check(file_kind::certificate_chain, dir.file("chain.pem")));
  CHECK(read_certificates(dir.file("chain.pem")).value.size() == 2);

  write_file(dir.file("empty.pem"), "");
  CHECK(checker.check(file_kind::certificate_chain, dir.file("empty.pem")) ==
        std::optional<std::string>("no certificate found in PEM data"));

  const auto missing = checker.check(file_kind::certificate_chain, dir.file("missing.pem"));
  REQUIRE(missing);
  CHECK_THAT(*missing, Catch::StartsWith("cannot open file: No such file or directory"));

  std::string broken = to_pem(leaf.get()) + to_pem(ca.get());
  broken[broken.size() - 200] = '*';  // corrupt the second certificate's base64
  write_file(dir.file("broken.pem"), broken);
  const auto problem = checker.check(file_kind::certificate_chain, dir.file("broken.pem"));
  REQUIRE(problem);
  CHECK_THAT(*problem, Catch::StartsWith("certificate 2 is not a valid PEM certificate"));

  // A key in the same file is skipped; certificates are still found.
  write_file(dir.file("combined.pem"), to_pem(leaf.key.get()) + to_pem(leaf.get()));
  CHECK_FALSE(checker.check(file_kind::certificate_chain, dir.file("combined.pem")));

  SECTION("one failed parse leaves no error behind for the next") {
    CHECK(ERR_peek_error() == 0);
  }
}

TEST_CASE("file checker: private keys", "[tls][file_checker]") {
  const temp_dir dir;
  const openssl_file_checker checker;
  const auto cert = make_cert(client_spec("Key", ""));
  write_file(dir.file("key.pem"), to_pem(cert.key.get()));
  CHECK_FALSE(checker.check(file_kind::private_key, dir.file("key.pem")));

  run_command("openssl pkey -in '" + dir.file("key.pem") + "' -aes256 -passout pass:secret -out '" +
              dir.file("encrypted.pem") + "'");
  const auto encrypted = checker.check(file_kind::private_key, dir.file("encrypted.pem"));
  REQUIRE(encrypted);
  CHECK_THAT(*encrypted, Catch::Contains("encrypted"));

  write_file(dir.file("cert.pem"), to_pem(cert.get()));
  CHECK(checker.check(file_kind::private_key, dir.file("cert.pem")) ==
        std::optional<std::string>("no private key found in PEM data"));
}

TEST_CASE("file checker: CA bundles hold only CA certificates", "[tls][file_checker]") {
  const temp_dir dir;
  const openssl_file_checker checker;
  const auto ca = make_cert(ca_spec("Bundle CA"));
  const auto leaf = make_cert(client_spec("Not A CA", ""), &ca);
  write_file(dir.file("good.pem"), to_pem(ca.get()));
  CHECK_FALSE(checker.check(file_kind::ca_bundle, dir.file("good.pem")));
  write_file(dir.file("bad.pem"), to_pem(ca.get()) + to_pem(leaf.get()));
  CHECK(checker.check(file_kind::ca_bundle, dir.file("bad.pem")) ==
        std::optional<std::string>("certificate 2 (CN=Not A CA) is not a CA certificate (no basicConstraints "
                                   "CA:TRUE); a CA bundle holds only CA certificates"));
}

TEST_CASE("file checker: CRLs in DER and PEM", "[tls][file_checker]") {
  const temp_dir dir;
  const openssl_file_checker checker;
  const auto ca = make_cert(ca_spec("CRL CA"));
  write_file(dir.file("crl.der"), crl_der(ca));
  CHECK_FALSE(checker.check(file_kind::crl, dir.file("crl.der")));
  run_command("openssl crl -inform DER -in '" + dir.file("crl.der") + "' -out '" + dir.file("crl.pem") + "'");
  CHECK_FALSE(checker.check(file_kind::crl, dir.file("crl.pem")));
  write_file(dir.file("junk.crl"), "junk");
  const auto junk = checker.check(file_kind::crl, dir.file("junk.crl"));
  REQUIRE(junk);
  CHECK_THAT(*junk, Catch::StartsWith("no CRL found"));
}

TEST_CASE("file checker leaves other kinds to others", "[tls][file_checker]") {
  const openssl_file_checker checker;
  for (const auto kind : {file_kind::secret, file_kind::keytab, file_kind::krb5_conf}) {
    CHECK_FALSE(checker.check(kind, "/nonexistent"));
  }
}

TEST_CASE("file checker: ticket keys are nginx's 80 or 48 random bytes", "[tls][file_checker]") {
  const openssl_file_checker checker;
  const temp_dir dir;
  write_file(dir.file("80.key"), std::string(80, 'k'));
  write_file(dir.file("48.key"), std::string(48, 'k'));
  write_file(dir.file("short.key"), std::string(32, 'k'));
  CHECK_FALSE(checker.check(file_kind::ticket_key, dir.file("80.key")));
  CHECK_FALSE(checker.check(file_kind::ticket_key, dir.file("48.key")));
  const auto short_key = checker.check(file_kind::ticket_key, dir.file("short.key"));
  REQUIRE(short_key);
  CHECK_THAT(*short_key, Catch::Contains("80"));
}
