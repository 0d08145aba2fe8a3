#include "proxy/tls/ca_interner.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

namespace cba::tls {

ca_interner::ca_interner(std::size_t capacity) : capacity_(capacity) {}

X509* ca_interner::intern(X509* cert) {
  if (cert == nullptr) return nullptr;
  const clear_errors_on_exit guard;
  key k{};
  unsigned int length = 0;
  if (X509_digest(cert, fetched_sha256(), k.data(), &length) != 1 || length != k.size()) return nullptr;
  const std::lock_guard lock(mutex_);
  if (auto it = certificates_.find(k); it != certificates_.end()) {
    return X509_cmp(it->second.get(), cert) == 0 ? it->second.get() : nullptr;
  }
  if (certificates_.size() >= capacity_) return nullptr;
  return certificates_.emplace(k, up_ref(cert)).first->second.get();
}

x509_ptr ca_interner::find_der(std::string_view der) const {
  key k{};
  unsigned int length = 0;
  if (EVP_Digest(der.data(), der.size(), k.data(), &length, fetched_sha256(), nullptr) != 1 || length != k.size()) {
    ERR_clear_error();
    return nullptr;
  }
  const std::lock_guard lock(mutex_);
  const auto it = certificates_.find(k);
  return it != certificates_.end() ? up_ref(it->second.get()) : nullptr;
}

std::size_t ca_interner::size() const {
  const std::lock_guard lock(mutex_);
  return certificates_.size();
}

}  // namespace cba::tls
