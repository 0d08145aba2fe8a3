#pragma once
// The proxy's refusal and failure reasons. Each has a stable code name (logs, metrics, 403 bodies),
// a message a user can act on, and the HTTP status a client sees.

#include <boost/system/error_code.hpp>

#include <string_view>
#include <type_traits>

namespace cba {

enum class errc {
  ok = 0,
  // certificate policy (handshake refusals)
  no_client_certificate = 1,
  chain_untrusted,
  certificate_expired,
  certificate_not_yet_valid,
  chain_too_deep,
  eku_missing,
  issuer_not_ntauth,
  handshake_failed,
  handshake_timeout,
  // identity
  upn_missing,
  upn_malformed,
  upn_ambiguous,
  upn_suffix_not_allowed,
  account_unknown,
  account_ambiguous,
  account_disabled,
  account_locked,
  account_expired,
  mapping_not_supported,
  directory_unavailable,
  // request
  header_too_large,
  too_many_headers,
  header_timeout,
  body_too_large,
  bad_request,
  smuggling_cl_te,
  duplicate_content_length,
  bad_content_length,
  bad_chunk,
  obs_fold,
  trailers_too_large,
  no_route,
  client_idle_timeout,
  // upstream
  upstream_connect_failed,
  upstream_tls_failed,
  upstream_timeout,
  upstream_bad_response,
  upstream_response_too_large,
  upstream_closed,
  // service
  shutting_down,
  too_many_connections,
  // certificate mapping (KB5014754); appended so that earlier values (metrics slots) keep their numbers
  sid_extension_malformed,
  sid_ambiguous,
  sid_mismatch,
  mapping_weak,
  // revocation
  revoked,
  revocation_unknown,
  // Kerberos constrained delegation
  delegation_refused,        // the KDC refuses to issue a ticket for this account (disabled, unknown)
  delegation_not_allowed,    // the service may not delegate to the route's SPN
  kdc_unavailable,           // the KDC cannot be reached or timed out
  upstream_auth_failed,      // the upstream rejected the delegated ticket (401 after the retry)
  mutual_auth_failed,        // the upstream's final Negotiate token does not verify
  channel_binding_unavailable,  // channel_binding: required but no binding can be computed
  upstream_header_too_large,    // the head towards the upstream exceeds its request_header_bytes
  // re-checks of long-lived and resumed connections
  identity_recheck_failed,
};

const boost::system::error_category& proxy_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), proxy_category()};
}

// Stable snake_case name used as the "reason" in logs and 403 bodies ("account_disabled").
std::string_view reason_code(errc e) noexcept;
// The reason for any error code: our own by name, others as "category:value".
std::string reason_code(const boost::system::error_code& ec);

// The status a client sees for a refusal/failure: 400, 403, 408, 413, 421, 431, 502, 503, 504.
// Identity refusals are 403, never 401 (ActiveSync devices prompt for a password on 401).
unsigned to_http_status(errc e) noexcept;

}  // namespace cba

template <>
struct boost::system::is_error_code_enum<cba::errc> : std::true_type {};
