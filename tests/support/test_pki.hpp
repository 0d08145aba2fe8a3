#pragma once
// The test PKI of tests/pki/make-test-pki.sh, generated once per test binary into a temp dir
// (removed at exit), or into $CBA_TEST_PKI_DIR when set (kept: the script is idempotent and safe to
// run concurrently, so ctest's one-process-per-case runs share one PKI). Names follow the script:
// NAME.pem, NAME.key, NAME-chain.pem.

#include "tests/support/temp_dir.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace cba::test {

class test_pki {
 public:
  // Runs the script on first use; throws std::runtime_error with its output when it fails.
  static const test_pki& get();

  const std::string& dir() const noexcept { return dir_; }
  std::string file(std::string_view name) const { return dir_ + "/" + std::string(name); }
  std::string cert(std::string_view name) const { return file(std::string(name) + ".pem"); }
  std::string key(std::string_view name) const { return file(std::string(name) + ".key"); }
  std::string chain(std::string_view name) const { return file(std::string(name) + "-chain.pem"); }

  ~test_pki();
  test_pki(const test_pki&) = delete;
  test_pki& operator=(const test_pki&) = delete;

 private:
  test_pki();
  std::optional<temp_dir> root_;
  std::string dir_;
};

// Lower-case hex SHA-256 of bytes / of the DER of the first certificate in a PEM file
// (the latter computed with the openssl CLI, independently of the proxy's code).
std::string sha256_hex(std::string_view bytes);
std::string cert_sha256_hex(const std::string& pem_file);
// Lower-case hex serial of a PEM certificate, from `openssl x509 -serial` (leading zeros stripped).
std::string cert_serial_hex(const std::string& pem_file);
// base64 of the certificate's DER (for RFC 9440: ":BASE64:").
std::string cert_der_base64(const std::string& pem_file);

}  // namespace cba::test
