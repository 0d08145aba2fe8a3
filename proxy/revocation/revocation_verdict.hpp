#pragma once
// What a revocation check found: per certificate and for the whole chain. Plain values: the session
// logs them, `explain` prints them, tests assert on them.

#include "proxy/error.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace cba::revocation {

enum class revocation_status { good, revoked, unknown };

std::string_view status_name(revocation_status status) noexcept;  // "good" | "revoked" | "unknown"

// One source's answer for one certificate.
struct source_answer {
  revocation_status status = revocation_status::unknown;
  std::string source;            // "crl-file /etc/pki/issuing.crl", "crl http://…", "ocsp http://…"
  std::chrono::seconds age{0};   // now - thisUpdate of the CRL / OCSP response (0 when unknown)
  std::string detail;            // why unknown, or the revocation date/reason
};

// The combined status of one certificate: revoked when any source says so, good when at least one
// source gave a fresh good answer, unknown otherwise.
struct certificate_status {
  std::string subject;
  revocation_status status = revocation_status::unknown;
  std::vector<source_answer> answers;  // every configured source, in order crl files, CDP, OCSP
};

struct revocation_verdict {
  revocation_status status = revocation_status::good;
  // After trust.revocation.mode: ok (admitted: good, or unknown under soft), revoked, or
  // revocation_unknown (unknown under hard).
  errc reason = errc::ok;
  std::string source;            // the deciding answer's source (the revoked one, the leaf's good one)
  std::chrono::seconds age{0};   // the oldest answer the verdict rests on
  std::string detail;            // one line for logs and 403 bodies: subject, source, why
  std::vector<certificate_status> certificates;  // leaf first; only the checked ones

  bool admitted() const noexcept { return reason == errc::ok; }
};

}  // namespace cba::revocation
