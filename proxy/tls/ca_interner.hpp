#pragma once
#include "proxy/tls/ossl.hpp"
#include "proxy/tls/random_bytes_hash.hpp"

#include <array>
#include <cstddef>
#include <mutex>
#include <string_view>
#include <unordered_map>

namespace cba::tls {

// One shared, parsed copy of each CA certificate seen in verified chains. Every connection's handshake
// parses the intermediates its client presents (5-6 KiB of heap each, decoded key included) and
// OpenSSL keeps them for the connection's lifetime; swapped for the shared copy once the handshake is
// over, an idle connection holds only its own leaf. A resumed connection's chain (from its ticket) is
// made of the shared copies too, and a ticket certificate already known is not parsed again. Only
// certificates from a chain that passed the policy are taken in, matched by SHA-256 of their DER
// (and compared again in full, X509_cmp, when swapped), so a swap never changes a certificate's
// content. Bounded: past `capacity` nothing new is taken in (the connection then keeps its own copy).
// Thread-safe (one mutex, a hash lookup under it). Sharing never makes a certificate trusted: every
// chain is verified as before; this only decides which identical copy is kept.
class ca_interner {
 public:
  explicit ca_interner(std::size_t capacity);
  ca_interner(const ca_interner&) = delete;
  ca_interner& operator=(const ca_interner&) = delete;

  // The shared certificate with the same content as `cert` (taking `cert` in when new and there is
  // room), or nullptr when there is none.
  X509* intern(X509* cert);
  // A new reference to the shared certificate whose DER is exactly `der`, or null (nothing parsed).
  x509_ptr find_der(std::string_view der) const;
  std::size_t size() const;

 private:
  using key = std::array<unsigned char, 32>;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<key, x509_ptr, random_bytes_hash> certificates_;
};

}  // namespace cba::tls
