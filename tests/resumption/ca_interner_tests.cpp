// ca_interner: one shared parsed copy per distinct CA certificate (by content), bounded.
#include "proxy/tls/pem.hpp"
#include "proxy/tls/resumption_policy.hpp"
#include "tests/support/test_pki.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace cba;

namespace {

tls::x509_ptr load(const std::string& file) {
  auto certs = tls::read_certificates(file);
  REQUIRE(certs);
  REQUIRE_FALSE(certs.value.empty());
  return std::move(certs.value.front());
}

std::string der_of(X509* cert) {
  unsigned char* out = nullptr;
  const int length = i2d_X509(cert, &out);
  REQUIRE(length > 0);
  std::string der(reinterpret_cast<const char*>(out), static_cast<std::size_t>(length));
  OPENSSL_free(out);
  return der;
}

}  // namespace

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

  const auto found = interner.find_der(der_of(issuer_b.get()));
  CHECK(found.get() == shared);
  std::string altered = der_of(issuer_b.get());
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
  CHECK(interner.find_der(der_of(root.get())) == nullptr);
}
