#pragma once
// `cba-proxy explain`: every decision the proxy would take for one client certificate, in the order a
// connection meets them, each made by the proxy's own code (certificate_policy::verify, the revocation
// checker, select_upn, the configured directory, check_account, decide_mapping). This file adds only
// the trace: what each step looked at, and where the first refusal came from.

#include "config/config.hpp"
#include "ldap/directory.hpp"
#include "proxy/error.hpp"
#include "proxy/tls/certificate_policy.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace cba::revocation { class checker; }

namespace cba::explain {

enum class step_status { ok, fail, skip };

struct step {
  std::string name;  // chain, validity, eku, ntauth, revocation, upn, sid, directory, account, mapping
  step_status status = step_status::ok;
  std::string detail;
};

struct report {
  std::string certificate;  // subject, serial and SHA-256 of the leaf
  std::vector<step> steps;
  errc reason = errc::ok;    // the first refusal; ok: admitted
  std::string reason_detail;
  bool in_handshake = false;  // refused by the certificate policy: the TLS handshake fails, no HTTP
  std::string account;        // sAMAccountName (SID) when admitted

  bool admitted() const noexcept { return reason == errc::ok; }
};

struct inputs {
  const config::proxy_config& config;
  const tls::certificate_policy& policy;
  revocation::checker* revocation = nullptr;  // null: revocation reported as not configured
  ldap::directory& directory;
};

// Runs the decisions for `leaf` presented with `chain` (the client's extra certificates) at `now`.
// Blocks until the directory answers (or its timeout).
report explain_certificate(const inputs& in, X509* leaf, const std::vector<X509*>& chain,
                           std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// "ok   chain       ..." lines, then "verdict ..." (newline-terminated).
std::string format_report(const report& r);

}  // namespace cba::explain
