#include "proxy/revocation/crl.hpp"

#include "proxy/tls/x509_facts.hpp"

#include <openssl/x509v3.h>

#include <cstdio>

namespace cba::revocation {

std::optional<std::time_t> to_time(const ASN1_TIME* t) {
  if (t == nullptr) return std::nullopt;
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return timegm(&tm);
}

std::string time_text(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return text;
}

namespace {

bool signature_verifies(X509_CRL* crl, X509* issuer) {
  const tls::clear_errors_on_exit guard;
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) return false;
  EVP_PKEY* key = X509_get0_pubkey(issuer);
  return key != nullptr && X509_CRL_verify(crl, key) == 1;
}

std::string reason_text(X509_REVOKED* entry) {
  int critical = -1;
  auto* reason = static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, &critical, nullptr));
  if (reason == nullptr) return {};
  const long code = ASN1_ENUMERATED_get(reason);
  ASN1_ENUMERATED_free(reason);
  static constexpr const char* names[] = {"unspecified",          "keyCompromise", "cACompromise",
                                          "affiliationChanged",   "superseded",    "cessationOfOperation",
                                          "certificateHold",      "(7)",           "removeFromCRL",
                                          "privilegeWithdrawn",   "aACompromise"};
  if (code >= 0 && code < static_cast<long>(std::size(names))) return names[code];
  return "reason " + std::to_string(code);
}

}  // namespace

std::shared_ptr<const verified_crl> verified_crl::make(tls::x509_crl_ptr crl, X509* issuer, std::string source,
                                                       std::string& error) {
  if (!signature_verifies(crl.get(), issuer)) {
    error = "its signature does not verify with the key of \"" + tls::subject_string(issuer) + "\"";
    return nullptr;
  }
  auto out = unverified(std::move(crl), std::move(source));
  std::const_pointer_cast<verified_crl>(out)->issuer_ = tls::up_ref(issuer);
  return out;
}

std::shared_ptr<const verified_crl> verified_crl::unverified(tls::x509_crl_ptr crl, std::string source) {
  std::shared_ptr<verified_crl> out{new verified_crl()};
  out->this_update_ = to_time(X509_CRL_get0_lastUpdate(crl.get())).value_or(0);
  out->next_update_ = to_time(X509_CRL_get0_nextUpdate(crl.get()));
  out->crl_ = std::move(crl);
  out->source_ = std::move(source);
  return out;
}

bool verified_crl::covers(X509* issuer) const {
  if (issuer_) {
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl_.get()), X509_get_subject_name(issuer)) != 0) return false;
    return EVP_PKEY_eq(X509_get0_pubkey(issuer_.get()), X509_get0_pubkey(issuer)) == 1;
  }
  return signature_verifies(crl_.get(), issuer);
}

bool verified_crl::fresh(std::time_t now) const {
  if (this_update_ > now + clock_skew_seconds) return false;
  return !next_update_ || now < *next_update_;
}

source_answer verified_crl::answer(X509* cert, std::time_t now, long grace_seconds) const {
  source_answer a;
  a.source = source_;
  a.age = std::chrono::seconds(now > this_update_ ? now - this_update_ : 0);
  if (this_update_ > now + clock_skew_seconds) {
    a.detail = "the CRL's thisUpdate " + time_text(this_update_) + " is in the future";
    return a;
  }
  if (next_update_ && now >= *next_update_ + grace_seconds) {
    a.detail = "the CRL is past its nextUpdate " + time_text(*next_update_);
    return a;
  }
  X509_REVOKED* entry = nullptr;
  const tls::clear_errors_on_exit guard;
  const int found = X509_CRL_get0_by_cert(crl_.get(), &entry, cert);
  if (found == 1 && entry != nullptr) {
    a.status = revocation_status::revoked;
    const auto when = to_time(X509_REVOKED_get0_revocationDate(entry));
    a.detail = "revoked" + (when ? " on " + time_text(*when) : std::string()) ;
    if (auto reason = reason_text(entry); !reason.empty()) a.detail += " (" + reason + ")";
    return a;
  }
  a.status = revocation_status::good;
  if (next_update_ && now >= *next_update_) a.detail = "stale-if-error: past nextUpdate " + time_text(*next_update_);
  return a;
}

std::string_view status_name(revocation_status status) noexcept {
  switch (status) {
    case revocation_status::good: return "good";
    case revocation_status::revoked: return "revoked";
    case revocation_status::unknown: return "unknown";
  }
  return "unknown";
}

}  // namespace cba::revocation
