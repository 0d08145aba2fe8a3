#pragma once
// Reading PEM files at start-up: certificate bundles and chains, private keys, CRLs. Results carry a
// message without the path (callers know which key named the file and prefix it).

#include "proxy/tls/ossl.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace cba::tls {

template <class T>
struct pem_result {
  T value{};
  std::string error;  // empty on success
  explicit operator bool() const noexcept { return error.empty(); }
};

// Every certificate of a PEM bundle, in file order (a chain: leaf first). Other PEM blocks are
// skipped. At least one certificate, else an error ("no certificate found in PEM data").
pem_result<std::vector<x509_ptr>> read_certificates(const std::string& path);
pem_result<std::vector<x509_ptr>> parse_certificates(std::string_view pem);

// An unencrypted private key (PKCS#8, traditional RSA/EC). Encrypted keys are refused, never prompted.
pem_result<evp_pkey_ptr> read_private_key(const std::string& path);
pem_result<evp_pkey_ptr> parse_private_key(std::string_view pem);

// A CRL in PEM or DER form.
pem_result<x509_crl_ptr> read_crl(const std::string& path);
pem_result<x509_crl_ptr> parse_crl(std::string_view data);

// The file's bytes (bounded: referenced files are small); error names the system error.
pem_result<std::string> read_small_file(const std::string& path);

}  // namespace cba::tls
