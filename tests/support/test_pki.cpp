#include "tests/support/test_pki.hpp"

#include "tests/support/process.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#ifndef CBA_SOURCE_DIR
#error "CBA_SOURCE_DIR must name the source tree (compile definition)"
#endif

namespace cba::test {

namespace {

std::string lower_hex_without(std::string s, char drop) {
  s.erase(std::remove(s.begin(), s.end(), drop), s.end());
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim_newlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string after_equals(const process_result& r, const std::string& what) {
  if (!r.ok()) throw std::runtime_error(what + " failed: " + r.describe());
  auto eq = r.out.find('=');
  if (eq == std::string::npos) throw std::runtime_error(what + ": unexpected output " + r.out);
  return trim_newlines(r.out.substr(eq + 1));
}

}  // namespace

test_pki::test_pki() {
  if (const char* shared = std::getenv("CBA_TEST_PKI_DIR"); shared != nullptr && *shared != '\0') {
    dir_ = shared;
  } else {
    root_.emplace("cba-pki");
    dir_ = (root_->path() / "pki").string();
  }
  std::filesystem::path script = std::filesystem::path(CBA_SOURCE_DIR) / "tests/pki/make-test-pki.sh";
  auto r = run_process({"bash", script.string(), dir_}, std::chrono::seconds(120));
  if (!r.ok()) throw std::runtime_error("make-test-pki.sh failed: " + r.describe());
}

test_pki::~test_pki() = default;

const test_pki& test_pki::get() {
  static const test_pki instance;  // built once per binary, thread-safe
  return instance;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 0xf];
  }
  return out;
}

std::string cert_sha256_hex(const std::string& pem_file) {
  auto r = run_process({"openssl", "x509", "-in", pem_file, "-noout", "-fingerprint", "-sha256"},
                       std::chrono::seconds(20));
  return lower_hex_without(after_equals(r, "openssl x509 -fingerprint"), ':');
}

std::string cert_serial_hex(const std::string& pem_file) {
  auto r = run_process({"openssl", "x509", "-in", pem_file, "-noout", "-serial"}, std::chrono::seconds(20));
  auto s = lower_hex_without(after_equals(r, "openssl x509 -serial"), ':');
  auto nz = s.find_first_not_of('0');
  return nz == std::string::npos ? "0" : s.substr(nz);
}

std::string cert_der_base64(const std::string& pem_file) {
  auto r = run_process({"openssl", "x509", "-in", pem_file, "-outform", "DER"}, std::chrono::seconds(20));
  if (!r.ok()) throw std::runtime_error("openssl x509 -outform DER failed: " + r.describe());
  std::string out(4 * ((r.out.size() + 2) / 3) + 1, '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(r.out.data()), static_cast<int>(r.out.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace cba::test
