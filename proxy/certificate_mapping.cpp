#include "proxy/certificate_mapping.hpp"

#include <optional>

namespace cba {
namespace {

using config::certificate_mapping_mode;

// The account's SID in canonical form ("s-1-..." accepted: the file directory is typed by hand), or
// nullopt when it is absent or not a SID.
std::optional<std::string> account_sid(const ldap::directory_account& account) {
  std::string sid = account.sid;
  if (!sid.empty() && sid[0] == 's') sid[0] = 'S';
  if (sid.empty() || tls::sid_problem(sid)) return std::nullopt;
  return sid;
}

// The first (candidate, stored value) pair that matches among candidates of the wanted strength.
std::optional<std::pair<const tls::altsecid_candidate*, const std::string*>> find_match(
    const mapping_facts& facts, const ldap::directory_account& account, bool strong) {
  for (const auto& candidate : facts.candidates) {
    if (tls::is_strong(candidate.kind) != strong) continue;
    for (const auto& stored : account.alt_security_identities) {
      if (tls::altsecid_matches(stored, candidate)) return std::make_pair(&candidate, &stored);
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view mapping_mode_name(certificate_mapping_mode mode) noexcept {
  switch (mode) {
    case certificate_mapping_mode::strong: return "strong";
    case certificate_mapping_mode::compatibility: return "compatibility";
    case certificate_mapping_mode::upn: return "upn";
  }
  return "unknown";
}

mapping_facts read_mapping_facts(X509* leaf) {
  return {tls::read_certificate_sid(leaf), tls::altsecid_candidates(leaf)};
}

mapping_decision decide_mapping(const mapping_facts& facts, const ldap::directory_account& account,
                                certificate_mapping_mode mode) {
  mapping_decision d;
  if (facts.sid.reason != errc::ok) {
    d.reason = facts.sid.reason;
    d.detail = facts.sid.detail;
    return d;
  }

  if (!facts.sid.sid.empty()) {
    d.kind = "sid";
    const auto expected = account_sid(account);
    if (!expected) {
      d.reason = errc::sid_mismatch;
      d.detail = "the certificate names SID " + facts.sid.sid + " (" + facts.sid.source + ") but account " +
                 account.sam_account_name + " has no valid objectSid to compare it with";
      return d;
    }
    if (*expected != facts.sid.sid) {
      d.reason = errc::sid_mismatch;
      d.detail = "the certificate names SID " + facts.sid.sid + " (" + facts.sid.source + "), account " +
                 account.sam_account_name + " has " + *expected;
      return d;
    }
    d.strong = true;
    d.detail = "SID " + facts.sid.sid + " (" + facts.sid.source + ") equals the account's objectSid";
    return d;
  }

  if (auto strong = find_match(facts, account, true)) {
    d.kind = "strong_altsecid:" + std::string(tls::altsecid_kind_name(strong->first->kind));
    d.strong = true;
    d.matched = *strong->second;
    d.detail = "altSecurityIdentities value " + d.matched + " names this certificate";
    return d;
  }

  if (auto weak = find_match(facts, account, false)) {
    d.kind = "weak_altsecid:" + std::string(tls::altsecid_kind_name(weak->first->kind));
    d.matched = *weak->second;
    d.detail = "only the weak altSecurityIdentities value " + d.matched + " names this certificate";
  } else {
    d.kind = "upn";
    d.detail = "the certificate names no SID and no strong altSecurityIdentities value of account " +
               account.sam_account_name + " matches it; only the UPN maps it";
  }
  switch (mode) {
    case certificate_mapping_mode::strong:
      d.reason = errc::mapping_weak;
      break;
    case certificate_mapping_mode::compatibility:
      d.warning = true;
      break;
    case certificate_mapping_mode::upn:
      break;
  }
  return d;
}

}  // namespace cba
