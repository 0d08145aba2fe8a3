#include "proxy/tls/ossl.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <array>

namespace cba::tls {

const EVP_MD* fetched_sha256() {
  static const std::unique_ptr<EVP_MD, ossl_deleter<EVP_MD_free>> md{EVP_MD_fetch(nullptr, "SHA256", nullptr)};
  return md.get();
}

std::string openssl_error_string() {
  std::string out;
  for (;;) {
    const char* data = nullptr;
    int flags = 0;
    const unsigned long code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags);
    if (code == 0) break;
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    if (!out.empty()) out += "; ";
    out += text.data();
    if (data != nullptr && (flags & ERR_TXT_STRING) != 0 && *data != '\0') {
      out += " (";
      out += data;
      out += ')';
    }
  }
  if (out.empty()) out = "no detail from OpenSSL";
  return out;
}

clear_errors_on_exit::~clear_errors_on_exit() { ERR_clear_error(); }

}  // namespace cba::tls
