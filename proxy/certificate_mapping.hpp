#pragma once
// Whether a certificate may log on as the account its UPN found (KB5014754 certificate mapping),
// the same for every directory type. Pure: certificate facts + account attributes + mode -> decision.
//
// Order of the rules (first that applies decides):
//   1. A malformed SID (extension or SAN URL) or two different SIDs: refused in every mode.
//   2. The certificate names a SID: equal to the account's objectSid -> "sid" (strong);
//      different, or the account has none -> sid_mismatch, in every mode.
//   3. An altSecurityIdentities value equals a strong candidate -> "strong_altsecid:<kind>".
//   4. A weak candidate matches -> "weak_altsecid:<kind>"; else "upn" (the UPN lookup alone).
//      strong refuses both (mapping_weak); compatibility admits them with a warning; upn admits them.

#include "config/config.hpp"
#include "ldap/account.hpp"
#include "proxy/error.hpp"
#include "proxy/tls/alt_security_identity.hpp"
#include "proxy/tls/sid_extension.hpp"

#include <openssl/x509.h>

#include <string>
#include <vector>

namespace cba {

// What the mapping needs to know about a certificate.
struct mapping_facts {
  tls::certificate_sid sid;
  std::vector<tls::altsecid_candidate> candidates;
};

struct mapping_decision {
  errc reason = errc::ok;  // ok | sid_extension_malformed | sid_ambiguous | sid_mismatch | mapping_weak
  std::string kind;        // "sid" | "strong_altsecid:<kind>" | "weak_altsecid:<kind>" | "upn"; empty
                           // when the certificate's SID itself is refused
  bool strong = false;     // kind is a KB5014754 strong mapping
  bool warning = false;    // admitted only because certificate_mapping is compatibility
  std::string matched;     // the account's altSecurityIdentities value that matched, if any
  std::string detail;      // for logs and explain: what was compared, why refused
};

// "strong", "compatibility", "upn".
std::string_view mapping_mode_name(config::certificate_mapping_mode mode) noexcept;

mapping_facts read_mapping_facts(X509* leaf);

mapping_decision decide_mapping(const mapping_facts& facts, const ldap::directory_account& account,
                                config::certificate_mapping_mode mode);

}  // namespace cba
