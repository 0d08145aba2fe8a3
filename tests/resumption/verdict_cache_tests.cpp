// resumption_policy's verdict cache: keyed by the exact certificate bytes, bounded in time, size and
// by every certificate's validity period, emptied when the ticket keys are reloaded. And its CA
// interner: one shared parsed copy per distinct CA certificate (by content), bounded.
#include "proxy/tls/pem.hpp"
#include "proxy/tls/resumption_policy.hpp"
#include "proxy/tls/x509_facts.hpp"
#include "tests/support/test_pki.hpp"

#include <catch2/catch.hpp>

#include <ctime>
#include <string>

using namespace cba;
using namespace std::chrono_literals;

namespace {

tls::x509_ptr load(const std::string& file) {
  auto certs = tls::read_certificates(file);
  REQUIRE(certs);
  REQUIRE_FALSE(certs.value.empty());
  return std::move(certs.value.front());
}

std::vector<tls::x509_ptr> chain_of(const tls::x509_ptr& issuer) {
  std::vector<tls::x509_ptr> chain;
  chain.push_back(tls::up_ref(issuer.get()));
  return chain;
}

std::int64_t unix_ms_of(const ASN1_TIME* t) {
  std::tm tm{};
  REQUIRE(ASN1_TIME_to_tm(t, &tm) == 1);
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

struct fixture {
  const test::test_pki& pki = test::test_pki::get();
  tls::x509_ptr alice = load(pki.cert("alice"));
  tls::x509_ptr bob = load(pki.cert("bob"));
  tls::x509_ptr issuer = load(pki.file("issuing-ca.pem"));
  std::int64_t now = unix_ms_of(X509_get0_notBefore(alice.get())) + 3'600'000;  // well inside validity
};

}  // namespace

TEST_CASE("verdict cache key: the leaf and the chain bytes, nothing else", "[resumption]") {
  fixture f;
  const auto a1 = tls::verdict_cache::key_of(f.alice.get(), "chain-1");
  const auto a1_again = tls::verdict_cache::key_of(f.alice.get(), "chain-1");
  const auto a2 = tls::verdict_cache::key_of(f.alice.get(), "chain-2");
  const auto b1 = tls::verdict_cache::key_of(f.bob.get(), "chain-1");
  REQUIRE(a1);
  REQUIRE(a2);
  REQUIRE(b1);
  CHECK(*a1 == *a1_again);
  CHECK(*a1 != *a2);
  CHECK(*a1 != *b1);
  CHECK_FALSE(tls::verdict_cache::key_of(nullptr, "chain-1"));
}

TEST_CASE("verdict cache: a remembered verdict is reused until its time is up", "[resumption]") {
  fixture f;
  tls::verdict_cache cache(16, 60s);
  const auto key = *tls::verdict_cache::key_of(f.alice.get(), "chain");
  CHECK_FALSE(cache.find(key, f.now, 0));
  REQUIRE(cache.insert(key, f.alice.get(), chain_of(f.issuer), f.now, 0));

  auto hit = cache.find(key, f.now + 59'999, 0);
  REQUIRE(hit);
  REQUIRE(hit->chain.size() == 1);
  CHECK(X509_cmp(hit->chain.front().get(), f.issuer.get()) == 0);
  CHECK_FALSE(cache.find(key, f.now + 60'000, 0));  // expired: decided again
  CHECK(cache.hits() == 1);
  CHECK(cache.misses() == 2);

  // Another leaf with the same chain bytes is another verdict.
  CHECK_FALSE(cache.find(*tls::verdict_cache::key_of(f.bob.get(), "chain"), f.now, 0));
}

TEST_CASE("verdict cache: never past a certificate's validity period", "[resumption]") {
  fixture f;
  tls::verdict_cache cache(16, 1h);
  const auto key = *tls::verdict_cache::key_of(f.alice.get(), "chain");
  // Remembered just before the leaf (or its issuer) expires: unusable from the expiry on, however
  // long the entry would otherwise live.
  const auto leaf_until = unix_ms_of(X509_get0_notAfter(f.alice.get()));
  const auto issuer_until = unix_ms_of(X509_get0_notAfter(f.issuer.get()));
  const auto until = std::min(leaf_until, issuer_until);
  REQUIRE(cache.insert(key, f.alice.get(), chain_of(f.issuer), until - 500, 0));
  CHECK(cache.find(key, until - 500, 0));
  CHECK_FALSE(cache.find(key, until + 1000, 0));

  // ... and not before it starts.
  const auto from = std::max(unix_ms_of(X509_get0_notBefore(f.alice.get())),
                             unix_ms_of(X509_get0_notBefore(f.issuer.get())));
  tls::verdict_cache early(16, 1h);
  REQUIRE(early.insert(key, f.alice.get(), chain_of(f.issuer), from - 5000, 0));
  CHECK_FALSE(early.find(key, from - 2000, 0));
  CHECK(early.find(key, from, 0));
}

TEST_CASE("verdict cache: bounded, oldest out first, emptied on a ticket key reload", "[resumption]") {
  fixture f;
  tls::verdict_cache cache(3, 60s);
  std::vector<tls::verdict_cache::key> keys;
  for (int i = 0; i < 5; ++i) {
    keys.push_back(*tls::verdict_cache::key_of(f.alice.get(), "chain-" + std::to_string(i)));
    REQUIRE(cache.insert(keys.back(), f.alice.get(), chain_of(f.issuer), f.now + i, 0));
    CHECK(cache.size() <= 3);
  }
  CHECK_FALSE(cache.find(keys[0], f.now + 10, 0));
  CHECK_FALSE(cache.find(keys[1], f.now + 10, 0));
  CHECK(cache.find(keys[4], f.now + 10, 0));

  // A generation the cache has not seen: everything is decided again.
  CHECK_FALSE(cache.find(keys[4], f.now + 10, 1));
  CHECK(cache.size() == 0);
}

TEST_CASE("verdict cache lives at most min(recheck_interval, 60s)", "[resumption]") {
  CHECK(tls::resumption_policy::verdict_ttl(5min) == 60s);
  CHECK(tls::resumption_policy::verdict_ttl(10s) == 10s);
}

TEST_CASE("ca_interner: separately parsed copies of one certificate share the first; others stay apart",
          "[resumption][interner]") {
  const auto& pki = test::test_pki::get();
  tls::ca_interner interner(8);
  auto issuer_a = load(pki.file("issuing-ca.pem"));
  auto issuer_b = load(pki.file("issuing-ca.pem"));  // the same bytes, another parse
  auto root = load(pki.file("roots.pem"));
  REQUIRE(issuer_a.get() != issuer_b.get());

  X509* shared = interner.intern(issuer_a.get());
  CHECK(shared == issuer_a.get());
  CHECK(interner.intern(issuer_b.get()) == shared);
  X509* shared_root = interner.intern(root.get());
  CHECK(shared_root == root.get());
  CHECK(shared_root != shared);
  CHECK(interner.size() == 2);

  const std::string issuer_der = tls::der_bytes(issuer_b.get());
  REQUIRE_FALSE(issuer_der.empty());
  const auto found = interner.find_der(issuer_der);
  CHECK(found.get() == shared);
  std::string altered = issuer_der;
  altered.back() = static_cast<char>(altered.back() ^ 1);
  CHECK(interner.find_der(altered) == nullptr);  // one bit off: not that certificate
  CHECK(interner.intern(nullptr) == nullptr);
}

TEST_CASE("ca_interner: past its capacity it takes nothing new and answers null", "[resumption][interner]") {
  const auto& pki = test::test_pki::get();
  tls::ca_interner interner(1);
  auto issuer = load(pki.file("issuing-ca.pem"));
  auto root = load(pki.file("roots.pem"));
  CHECK(interner.intern(issuer.get()) == issuer.get());
  CHECK(interner.intern(root.get()) == nullptr);  // the caller keeps its own copy
  CHECK(interner.size() == 1);
  const std::string root_der = tls::der_bytes(root.get());
  REQUIRE_FALSE(root_der.empty());
  CHECK(interner.find_der(root_der) == nullptr);
}
