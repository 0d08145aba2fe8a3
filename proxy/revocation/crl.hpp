#pragma once
// One CRL as a revocation source: parsed, its signature checked against its issuer's key, its
// validity window known. Immutable once built; snapshots and caches share it by shared_ptr.

#include "proxy/revocation/revocation_verdict.hpp"
#include "proxy/tls/ossl.hpp"

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace cba::revocation {

// Clock skew tolerated between us and a CA (thisUpdate slightly in the future, OCSP times).
inline constexpr long clock_skew_seconds = 300;

std::optional<std::time_t> to_time(const ASN1_TIME* t);
std::string time_text(std::time_t t);  // "2024-05-01T12:00:00Z"

class verified_crl {
 public:
  // Checks the signature against `issuer` (same name, its key verifies). nullptr + `error` on failure.
  static std::shared_ptr<const verified_crl> make(tls::x509_crl_ptr crl, X509* issuer, std::string source,
                                                  std::string& error);
  // A CRL whose issuer is not known yet (its CA only arrives in a client's chain): checked on use.
  static std::shared_ptr<const verified_crl> unverified(tls::x509_crl_ptr crl, std::string source);

  // True when this CRL speaks for certificates issued by `issuer`: same name and a key that verifies it.
  bool covers(X509* issuer) const;
  // Within [thisUpdate - skew, nextUpdate) at `now` (no nextUpdate: always).
  bool fresh(std::time_t now) const;
  // The answer for `cert` (covers(issuer) already established): good, or revoked with the date and
  // reason; unknown when the CRL is past nextUpdate beyond `grace_seconds`.
  source_answer answer(X509* cert, std::time_t now, long grace_seconds = 0) const;

  const std::string& source() const noexcept { return source_; }
  std::time_t this_update() const noexcept { return this_update_; }
  std::optional<std::time_t> next_update() const noexcept { return next_update_; }
  X509_CRL* get() const noexcept { return crl_.get(); }

 private:
  verified_crl() = default;
  tls::x509_crl_ptr crl_;
  tls::x509_ptr issuer_;  // whose key verified the signature; null: verify on use
  std::string source_;
  std::time_t this_update_ = 0;
  std::optional<std::time_t> next_update_;
};

}  // namespace cba::revocation
