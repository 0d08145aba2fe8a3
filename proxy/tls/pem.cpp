#include "proxy/tls/pem.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace cba::tls {
namespace {

constexpr std::streamoff max_file_bytes = 16 * 1024 * 1024;

bio_ptr memory_bio(std::string_view data) {
  return bio_ptr{BIO_new_mem_buf(data.data(), static_cast<int>(data.size()))};
}

// Answers every password prompt with "no password": an encrypted key fails instead of blocking on
// the terminal.
int no_password(char*, int, int, void*) { return -1; }

bool at_end_of_pem_data() {
  const unsigned long last = ERR_peek_last_error();
  return ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
}

}  // namespace

pem_result<std::string> read_small_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {{}, "cannot open file: " + std::string(std::strerror(errno))};
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size > max_file_bytes) return {{}, "file is larger than 16 MiB"};
  in.seekg(0, std::ios::beg);
  std::string data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return {{}, "cannot read file: " + std::string(std::strerror(errno))};
  return {std::move(data), {}};
}

pem_result<std::vector<x509_ptr>> parse_certificates(std::string_view pem) {
  const clear_errors_on_exit guard;
  ERR_clear_error();
  bio_ptr bio = memory_bio(pem);
  if (!bio) return {{}, "out of memory: " + openssl_error_string()};
  std::vector<x509_ptr> certs;
  for (;;) {
    x509_ptr cert{PEM_read_bio_X509(bio.get(), nullptr, no_password, nullptr)};
    if (!cert) break;
    certs.push_back(std::move(cert));
  }
  if (!at_end_of_pem_data()) {
    return {{}, "certificate " + std::to_string(certs.size() + 1) +
                    " is not a valid PEM certificate: " + openssl_error_string()};
  }
  if (certs.empty()) return {{}, "no certificate found in PEM data"};
  return {std::move(certs), {}};
}

pem_result<std::vector<x509_ptr>> read_certificates(const std::string& path) {
  auto data = read_small_file(path);
  if (!data) return {{}, std::move(data.error)};
  return parse_certificates(data.value);
}

pem_result<evp_pkey_ptr> parse_private_key(std::string_view pem) {
  const clear_errors_on_exit guard;
  ERR_clear_error();
  // OpenSSL 3's decoders report "unsupported" for every kind of failure; tell the common ones apart.
  if (pem.find("PRIVATE KEY-----") == std::string_view::npos) return {{}, "no private key found in PEM data"};
  if (pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos ||
      pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos) {
    return {{}, "the private key is encrypted; cba-proxy needs an unencrypted key file "
                "(protect it with file permissions)"};
  }
  bio_ptr bio = memory_bio(pem);
  if (!bio) return {{}, "out of memory: " + openssl_error_string()};
  evp_pkey_ptr key{PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr)};
  if (!key) return {{}, "cannot parse the private key: " + openssl_error_string()};
  return {std::move(key), {}};
}

pem_result<evp_pkey_ptr> read_private_key(const std::string& path) {
  auto data = read_small_file(path);
  if (!data) return {{}, std::move(data.error)};
  return parse_private_key(data.value);
}

pem_result<x509_crl_ptr> parse_crl(std::string_view data) {
  const clear_errors_on_exit guard;
  ERR_clear_error();
  if (data.find("-----BEGIN X509 CRL-----") != std::string_view::npos) {
    bio_ptr bio = memory_bio(data);
    if (!bio) return {{}, "out of memory: " + openssl_error_string()};
    x509_crl_ptr crl{PEM_read_bio_X509_CRL(bio.get(), nullptr, no_password, nullptr)};
    if (!crl) return {{}, "cannot parse the PEM CRL: " + openssl_error_string()};
    return {std::move(crl), {}};
  }
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  x509_crl_ptr crl{d2i_X509_CRL(nullptr, &p, static_cast<long>(data.size()))};
  if (!crl) return {{}, "no CRL found (neither PEM \"X509 CRL\" nor DER): " + openssl_error_string()};
  return {std::move(crl), {}};
}

pem_result<x509_crl_ptr> read_crl(const std::string& path) {
  auto data = read_small_file(path);
  if (!data) return {{}, std::move(data.error)};
  return parse_crl(data.value);
}

}  // namespace cba::tls
