#include "proxy/revocation/crl_file_set.hpp"

#include "proxy/tls/pem.hpp"
#include "proxy/tls/x509_facts.hpp"

namespace cba::revocation {

std::shared_ptr<const crl_file_set> crl_file_set::load(const std::vector<std::string>& files,
                                                       const std::vector<X509*>& cas, std::time_t now,
                                                       std::vector<std::string>& problems) {
  auto set = std::make_shared<crl_file_set>();
  for (const auto& path : files) {
    const std::string source = "crl-file " + path;
    auto crl = tls::read_crl(path);
    if (!crl) {
      problems.push_back(source + ": " + crl.error + "; its CA's certificates are \"unknown\"");
      continue;
    }
    X509_CRL* raw = crl.value.get();
    const std::string issuer_name = tls::name_string(X509_CRL_get_issuer(raw));
    bool named = false;
    std::shared_ptr<const verified_crl> verified;
    std::string error;
    for (X509* ca : cas) {
      if (X509_NAME_cmp(X509_get_subject_name(ca), X509_CRL_get_issuer(raw)) != 0) continue;
      named = true;
      verified = verified_crl::make(tls::x509_crl_ptr{X509_CRL_dup(raw)}, ca, source, error);
      if (verified) break;
    }
    if (named && !verified) {
      problems.push_back(source + " (issuer \"" + issuer_name + "\"): " + error +
                         "; not trusted, its CA's certificates are \"unknown\"");
      continue;
    }
    if (!verified) verified = verified_crl::unverified(std::move(crl.value), source);
    if (!verified->fresh(now)) {
      // Kept: a check reports it as unknown with the reason, and the next refresh may replace it.
      problems.push_back(source + " (issuer \"" + issuer_name + "\"): past its nextUpdate " +
                         (verified->next_update() ? time_text(*verified->next_update()) : std::string("?")) +
                         " (or thisUpdate in the future); not trusted until it is replaced");
    }
    set->crls_.push_back(std::move(verified));
  }
  return set;
}

source_answer crl_file_set::answer(X509* cert, X509* issuer, std::time_t now) const {
  for (const auto& crl : crls_) {
    if (crl->covers(issuer)) return crl->answer(cert, now);
  }
  source_answer a;
  a.source = "crl-file";
  a.detail = "no CRL file from \"" + tls::subject_string(issuer) + "\" (or none whose signature verifies)";
  return a;
}

}  // namespace cba::revocation
