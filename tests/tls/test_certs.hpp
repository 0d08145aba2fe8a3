#pragma once
// Throwaway certificates built in C++ with the OpenSSL API, so tests can make the exotic negatives the
// PKI script cannot (BMPString UPNs, NUL bytes, chosen validity, deep chains).

#include "proxy/tls/ossl.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cba::tls::testing {

struct upn_value {
  int asn1_type = V_ASN1_UTF8STRING;  // V_ASN1_BMPSTRING, V_ASN1_IA5STRING, V_ASN1_INTEGER, ...
  std::string bytes;                  // raw content octets
};

struct cert_spec {
  std::vector<std::pair<std::string, std::string>> subject{{"CN", "Test"}};  // DER order, UTF-8 values
  bool ca = false;
  std::optional<int> path_length;
  long not_before = -3600;  // seconds relative to now
  long not_after = 86400;
  // nullopt: no EKU extension at all. Otherwise OpenSSL names ("clientAuth") or dotted OIDs.
  std::optional<std::vector<std::string>> ekus = std::vector<std::string>{"clientAuth"};
  std::vector<upn_value> upns;         // SAN otherName 1.3.6.1.4.1.311.20.2.3 entries
  std::vector<std::string> dns_names;  // SAN dNSName entries
  std::vector<std::string> ip_addresses;
  std::string serial_hex;  // empty: random 64-bit
  bool rsa = false;        // RSA-2048 instead of P-256
};

struct test_cert {
  x509_ptr cert;
  evp_pkey_ptr key;
  X509* get() const noexcept { return cert.get(); }
};

// Signed by `issuer`, or self-signed when issuer is null. Throws std::runtime_error on OpenSSL errors.
test_cert make_cert(const cert_spec& spec, const test_cert* issuer = nullptr);

// Shorthands.
cert_spec ca_spec(const std::string& cn);
cert_spec client_spec(const std::string& cn, const std::string& utf8_upn);

std::string to_pem(X509* cert);
std::string to_pem(EVP_PKEY* key);
void write_file(const std::filesystem::path& path, const std::string& content);
std::string read_file(const std::filesystem::path& path);

// A fresh directory removed with everything in it when the object dies.
class temp_dir {
 public:
  temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir();
  const std::filesystem::path& path() const noexcept { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Runs a shell command, returning its standard output; throws when it exits non-zero.
std::string run_command(const std::string& command);

// A file of the script's PKI in the build tree (CBA_TEST_PKI_DIR), made by the first test process that
// needs it.
std::string script_pki_file(const std::string& name);

// The first certificate of a PEM file; fails the test when there is none.
x509_ptr load_pem(const std::string& path);

}  // namespace cba::tls::testing
