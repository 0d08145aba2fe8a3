#pragma once
// The memo of passing certificate-policy verdicts that resumptions reuse (see resumption_policy.hpp):
// a verdict on exactly these bytes (leaf DER + the chain's DERs, by SHA-256), its parsed chain, and
// until when it may be reused: never past its time to live, nor outside any certificate's validity.
#include "proxy/tls/ossl.hpp"
#include "proxy/tls/random_bytes_hash.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cba::tls {

// A ticket's certificates that passed the policy, parsed, and until when that verdict may be reused.
struct verified_ticket_chain {
  std::vector<x509_ptr> chain;     // above the leaf, trust anchor last (as the ticket carries them)
  std::int64_t valid_from_s = 0;   // unix seconds: the latest notBefore of the leaf and the chain
  std::int64_t valid_until_s = 0;  // the earliest notAfter of the leaf and the chain
  std::int64_t expires_ms = 0;     // unix ms: decided again (full verification) from then on
};

// The verdict on `leaf` and `chain` (which just passed the policy), usable until `expires_ms`; null when
// a certificate's validity period is unreadable.
std::shared_ptr<verified_ticket_chain> make_verified_chain(X509* leaf, std::vector<x509_ptr> chain,
                                                           std::int64_t expires_ms);

// Bounded, thread-safe memo of passing verdicts (short critical sections: one hash lookup or insert
// under a mutex; hashing and verification happen outside it). Entries all live for the same time from
// insertion, so insertion order is expiry order and the oldest entry is evicted first when full.
class verdict_cache {
 public:
  using key = std::array<unsigned char, 32>;

  verdict_cache(std::size_t capacity, std::chrono::milliseconds ttl);
  verdict_cache(const verdict_cache&) = delete;
  verdict_cache& operator=(const verdict_cache&) = delete;

  // SHA-256 over the leaf's DER and `chain_bytes` (the ticket's length-prefixed chain encoding);
  // nullopt when the leaf does not encode.
  static std::optional<key> key_of(X509* leaf, std::string_view chain_bytes);

  // The entry when it may be used at `now_ms`: not expired and every certificate valid now. A
  // `generation` other than the one the cache holds empties it first (ticket keys reloaded).
  std::shared_ptr<const verified_ticket_chain> find(const key& k, std::int64_t now_ms, std::uint64_t generation);
  // Remembers a passing verdict reached at `now_ms` on the leaf and `chain`; false (nothing stored)
  // when a certificate's validity period is unreadable.
  bool insert(const key& k, X509* leaf, std::vector<x509_ptr> chain, std::int64_t now_ms, std::uint64_t generation);
  void clear();

  std::size_t size() const;
  std::uint64_t hits() const noexcept { return hits_.load(std::memory_order_relaxed); }
  std::uint64_t misses() const noexcept { return misses_.load(std::memory_order_relaxed); }
  std::chrono::milliseconds ttl() const noexcept { return ttl_; }

 private:
  void adopt_generation(std::uint64_t generation);  // under mutex_
  void evict(std::int64_t now_ms);                   // under mutex_

  const std::size_t capacity_;
  const std::chrono::milliseconds ttl_;
  mutable std::mutex mutex_;
  std::unordered_map<key, std::shared_ptr<const verified_ticket_chain>, random_bytes_hash> entries_;
  std::deque<std::pair<key, std::int64_t>> order_;  // (key, expires_ms) in insertion order
  std::uint64_t generation_ = 0;
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
};

}  // namespace cba::tls
