#include "proxy/tls/verdict_cache.hpp"

#include "proxy/tls/insertion_order_eviction.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <ctime>
#include <limits>

namespace cba::tls {
namespace {

using std::chrono::milliseconds;
using evp_md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, ossl_deleter<EVP_MD_CTX_free>>;

// Unix seconds of an ASN1_TIME; nullopt when it does not parse.
std::optional<std::int64_t> unix_seconds(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

}  // namespace

verdict_cache::verdict_cache(std::size_t capacity, milliseconds ttl) : capacity_(std::max<std::size_t>(1, capacity)), ttl_(ttl) {}

std::optional<verdict_cache::key> verdict_cache::key_of(X509* leaf, std::string_view chain_bytes) {
  const clear_errors_on_exit guard;
  unsigned char* der = nullptr;
  const int length = leaf != nullptr ? i2d_X509(leaf, &der) : -1;
  const openssl_bytes_ptr owned{der};
  const EVP_MD* md = fetched_sha256();
  const evp_md_ctx_ptr ctx{EVP_MD_CTX_new()};
  key k{};
  unsigned int size = 0;
  if (length <= 0 || md == nullptr || !ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), der, static_cast<std::size_t>(length)) != 1 ||
      EVP_DigestUpdate(ctx.get(), chain_bytes.data(), chain_bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), k.data(), &size) != 1 || size != k.size()) {
    return std::nullopt;
  }
  return k;
}

void verdict_cache::adopt_generation(std::uint64_t generation) {
  if (generation == generation_) return;
  entries_.clear();
  order_.clear();
  generation_ = generation;
}

std::shared_ptr<const verified_ticket_chain> verdict_cache::find(const key& k, std::int64_t now_ms,
                                                                 std::uint64_t generation) {
  std::shared_ptr<const verified_ticket_chain> entry;
  {
    const std::lock_guard lock(mutex_);
    adopt_generation(generation);
    if (auto it = entries_.find(k); it != entries_.end()) entry = it->second;
  }
  const std::int64_t now_s = now_ms / 1000;
  if (!entry || now_ms >= entry->expires_ms || now_s < entry->valid_from_s || now_s > entry->valid_until_s) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  return entry;
}

std::shared_ptr<verified_ticket_chain> make_verified_chain(X509* leaf, std::vector<x509_ptr> chain,
                                                           std::int64_t expires_ms) {
  auto entry = std::make_shared<verified_ticket_chain>();
  entry->valid_from_s = std::numeric_limits<std::int64_t>::min();
  entry->valid_until_s = std::numeric_limits<std::int64_t>::max();
  const auto narrow = [&](X509* cert) {
    const auto from = unix_seconds(X509_get0_notBefore(cert));
    const auto until = unix_seconds(X509_get0_notAfter(cert));
    if (!from || !until) return false;
    entry->valid_from_s = std::max(entry->valid_from_s, *from);
    entry->valid_until_s = std::min(entry->valid_until_s, *until);
    return true;
  };
  if (leaf == nullptr || !narrow(leaf)) return nullptr;
  for (const auto& cert : chain) {
    if (!narrow(cert.get())) return nullptr;
  }
  entry->chain = std::move(chain);
  entry->expires_ms = expires_ms;
  return entry;
}

bool verdict_cache::insert(const key& k, X509* leaf, std::vector<x509_ptr> chain, std::int64_t now_ms,
                           std::uint64_t generation) {
  std::shared_ptr<const verified_ticket_chain> entry = make_verified_chain(leaf, std::move(chain), now_ms + ttl_.count());
  if (!entry) return false;
  const std::lock_guard lock(mutex_);
  adopt_generation(generation);
  evict(now_ms);
  order_.emplace_back(k, entry->expires_ms);
  entries_[k] = std::move(entry);
  return true;
}

// A key stored again later (two io threads missing at once) keeps that newer entry.
void verdict_cache::evict(std::int64_t now_ms) {
  evict_in_insertion_order(entries_, order_, capacity_, now_ms, [](const auto& entry) { return entry->expires_ms; });
}

void verdict_cache::clear() {
  const std::lock_guard lock(mutex_);
  entries_.clear();
  order_.clear();
}

std::size_t verdict_cache::size() const {
  const std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace cba::tls
