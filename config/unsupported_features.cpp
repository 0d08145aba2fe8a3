#include "config/unsupported_features.hpp"

namespace cba::config {

void report_unsupported_features(const proxy_config& c, const located_sink& problems) {
  // Kerberos delegation.
  for (std::size_t i = 0; i < c.routes.size(); ++i) {
    if (c.routes[i].auth == route_auth::kerberos) {
      problems.add("routes[" + std::to_string(i) + "].auth",
                   "auth: kerberos is not supported yet (planned); use headers or none");
    }
  }
  if (c.kerberos) problems.add("kerberos", "kerberos is not supported yet (planned); remove it");

  // Revocation.
  const auto& revocation = c.trust.revocation;
  if (revocation.mode && *revocation.mode != revocation_mode::off) {
    problems.add("trust.revocation.mode",
                 std::string(*revocation.mode == revocation_mode::soft ? "soft" : "hard") +
                     " revocation checking is not supported yet (planned); remove it or set mode: \"off\"");
  }
  if (!revocation.crl_files.empty()) {
    problems.add("trust.revocation.crl_files", "CRL files are not supported yet (planned); remove them");
  }
  if (revocation.fetch_distribution_points) {
    problems.add("trust.revocation.fetch_distribution_points",
                 "fetching CRL distribution points is not supported yet (planned); remove it");
  }
  if (revocation.ocsp.enabled) {
    problems.add("trust.revocation.ocsp.enabled", "OCSP is not supported yet (planned); remove it");
  }

  // TLS session resumption: this version does a full handshake on every connection.
  for (std::size_t i = 0; i < c.listeners.size(); ++i) {
    if (!c.listeners[i].tls.session_tickets.key_files.empty()) {
      problems.add("listeners[" + std::to_string(i) + "].tls.session_tickets.key_files",
                   "session ticket keys are not supported yet (planned; resumption is off and every "
                   "connection does a full handshake); remove them");
    }
  }
}

}  // namespace cba::config
