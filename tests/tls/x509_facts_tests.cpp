#include "proxy/tls/x509_facts.hpp"

#include "tests/tls/test_certs.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>

using namespace cba;
using namespace cba::tls;
using namespace cba::tls::testing;

namespace {

// Fingerprint as the openssl CLI prints it ("sha256 Fingerprint=AB:CD:..."), normalised.
std::string cli_field(const std::string& pem_path, const std::string& option) {
  std::string out = run_command("openssl x509 -noout " + option + " -in '" + pem_path + "'");
  out = out.substr(out.find('=') + 1);
  out.erase(std::remove_if(out.begin(), out.end(), [](char c) { return c == ':' || c == '\n'; }),
            out.end());
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  return out;
}

std::string base64_decode(const std::string& text) {
  std::string out(text.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  REQUIRE(n >= 0);
  std::size_t size = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes.
  if (text.size() >= 1 && text[text.size() - 1] == '=') --size;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

}  // namespace

TEST_CASE("describe_certificate reports fingerprint, names, serial and RFC 9440 form", "[tls][facts]") {
  const temp_dir dir;
  const auto root = make_cert(ca_spec("Facts Root"));
  cert_spec issuing = ca_spec("Example Issuing CA");
  issuing.subject = {{"DC", "test"}, {"DC", "example"}, {"CN", "Example Issuing CA"}};
  const auto ca = make_cert(issuing, &root);
  cert_spec leaf_spec = client_spec("J\xc3\xbcrgen, \"Boss\"", "juergen@example.test");
  leaf_spec.subject.insert(leaf_spec.subject.begin(), {"O", "Example"});
  leaf_spec.serial_hex = "0A1B2C";
  leaf_spec.upns.push_back({V_ASN1_BMPSTRING, std::string("\0x", 2)});
  const auto leaf = make_cert(leaf_spec, &ca);
  write_file(dir.file("leaf.pem"), to_pem(leaf.get()));
  run_command("openssl x509 -in '" + dir.file("leaf.pem") + "' -outform DER -out '" + dir.file("leaf.der") +
              "'");

  const certificate_facts facts = describe_certificate(leaf.get());

  CHECK(facts.sha256_hex.size() == 64);
  CHECK(facts.sha256_hex == cli_field(dir.file("leaf.pem"), "-fingerprint -sha256"));
  CHECK(facts.serial_hex == "0a1b2c");
  CHECK(facts.serial_hex == cli_field(dir.file("leaf.pem"), "-serial"));
  CHECK(facts.subject == "CN=J\xc3\xbcrgen\\, \\\"Boss\\\",O=Example");
  CHECK(facts.issuer == "CN=Example Issuing CA,DC=example,DC=test");
  CHECK(facts.subject_cn == "J\xc3\xbcrgen, \"Boss\"");
  REQUIRE(facts.san_upns.size() == 2);
  CHECK(facts.san_upns[0] == "juergen@example.test");
  CHECK(facts.san_upns[1] == "!BMPSTRING");

  REQUIRE(facts.rfc9440.size() > 2);
  CHECK(facts.rfc9440.front() == ':');
  CHECK(facts.rfc9440.back() == ':');
  const std::string der = base64_decode(facts.rfc9440.substr(1, facts.rfc9440.size() - 2));
  CHECK(der == read_file(dir.path() / "leaf.der"));
  CHECK(der == der_bytes(leaf.get()));
}

TEST_CASE("serial_hex drops leading zero bytes but keeps a byte's leading zero", "[tls][facts]") {
  const auto root = make_cert(ca_spec("Serial Root"));
  const auto with_serial = [&](const std::string& hex) {
    cert_spec spec = client_spec("S", "");
    spec.serial_hex = hex;
    return serial_hex(make_cert(spec, &root).get());
  };
  CHECK(with_serial("01") == "01");
  CHECK(with_serial("FF") == "ff");  // DER adds a 00 sign byte; not part of the value
  CHECK(with_serial("00A1") == "a1");
  CHECK(with_serial("1234567890ABCDEF1234") == "1234567890abcdef1234");
}

TEST_CASE("describe_certificate of a certificate without SAN or CN", "[tls][facts]") {
  cert_spec spec;
  spec.subject = {{"O", "Nameless"}};
  const auto cert = make_cert(spec);
  const auto facts = describe_certificate(cert.get());
  CHECK(facts.san_upns.empty());
  CHECK(facts.subject_cn.empty());
  CHECK(facts.subject == "O=Nameless");
  CHECK(facts.subject == facts.issuer);
}

TEST_CASE("read_san_upns ignores other SAN entries and other otherNames", "[tls][facts]") {
  cert_spec spec = client_spec("A", "alice@example.test");
  spec.dns_names = {"host.example.test"};
  spec.ip_addresses = {"127.0.0.1"};
  const auto cert = make_cert(spec);
  const auto upns = read_san_upns(cert.get());
  REQUIRE(upns.size() == 1);
  CHECK(upns[0].asn1_type == V_ASN1_UTF8STRING);
  CHECK(upns[0].bytes == "alice@example.test");
}
