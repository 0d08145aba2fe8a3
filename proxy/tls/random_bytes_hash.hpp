#pragma once
// The hash of a key that is already uniformly random bytes (a SHA-256 digest, an OpenSSL session id):
// its first word, with no further mixing.

#include <array>
#include <cstddef>
#include <cstring>

namespace cba::tls {

struct random_bytes_hash {
  template <std::size_t N>
  std::size_t operator()(const std::array<unsigned char, N>& bytes) const noexcept {
    static_assert(N >= sizeof(std::size_t));
    std::size_t h = 0;
    std::memcpy(&h, bytes.data(), sizeof h);
    return h;
  }
};

}  // namespace cba::tls
