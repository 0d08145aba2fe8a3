#include "proxy/error.hpp"

#include <string>

namespace cba {
namespace {

struct code_info {
  std::string_view name;
  unsigned status;
  const char* message;
};

code_info info(errc e) noexcept {
  switch (e) {
    case errc::ok: return {"ok", 200, "success"};
    case errc::no_client_certificate:
      return {"no_client_certificate", 403, "the client presented no certificate"};
    case errc::chain_untrusted:
      return {"chain_untrusted", 403, "the certificate does not chain to a configured root"};
    case errc::certificate_expired: return {"certificate_expired", 403, "the certificate has expired"};
    case errc::certificate_not_yet_valid:
      return {"certificate_not_yet_valid", 403, "the certificate is not yet valid"};
    case errc::chain_too_deep:
      return {"chain_too_deep", 403, "the certificate chain is longer than trust.max_depth allows"};
    case errc::eku_missing:
      return {"eku_missing", 403, "the certificate lacks a required extended key usage"};
    case errc::issuer_not_ntauth:
      return {"issuer_not_ntauth", 403, "the certificate's issuer is not in trust.ntauth"};
    case errc::handshake_failed: return {"handshake_failed", 400, "the TLS handshake failed"};
    case errc::handshake_timeout:
      return {"handshake_timeout", 408, "the TLS handshake did not finish in time"};
    case errc::upn_missing: return {"upn_missing", 403, "the certificate carries no usable UPN"};
    case errc::upn_malformed: return {"upn_malformed", 403, "the certificate's UPN is malformed"};
    case errc::upn_ambiguous:
      return {"upn_ambiguous", 403, "the certificate carries more than one different UPN"};
    case errc::upn_suffix_not_allowed:
      return {"upn_suffix_not_allowed", 403, "the UPN suffix is not in identity.allowed_upn_suffixes"};
    case errc::account_unknown: return {"account_unknown", 403, "no account has this UPN"};
    case errc::account_ambiguous:
      return {"account_ambiguous", 403, "more than one account matches this UPN"};
    case errc::account_disabled: return {"account_disabled", 403, "the account is disabled"};
    case errc::account_locked: return {"account_locked", 403, "the account is locked out"};
    case errc::account_expired: return {"account_expired", 403, "the account has expired"};
    case errc::mapping_not_supported:
      return {"mapping_not_supported", 403, "the configured certificate mapping cannot be evaluated"};
    case errc::directory_unavailable:
      return {"directory_unavailable", 503, "the directory cannot be reached"};
    case errc::header_too_large:
      return {"header_too_large", 431, "the request head exceeds limits.request_header_bytes"};
    case errc::too_many_headers:
      return {"too_many_headers", 431, "the request has more fields than limits.request_header_count"};
    case errc::header_timeout:
      return {"header_timeout", 408, "the request head did not arrive within limits.header_timeout"};
    case errc::body_too_large:
      return {"body_too_large", 413, "the request body exceeds the route's max_body_bytes"};
    case errc::bad_request: return {"bad_request", 400, "the request is malformed"};
    case errc::smuggling_cl_te:
      return {"smuggling_cl_te", 400, "Content-Length and Transfer-Encoding are both present"};
    case errc::duplicate_content_length:
      return {"duplicate_content_length", 400, "Content-Length appears more than once"};
    case errc::bad_content_length:
      return {"bad_content_length", 400, "Content-Length is not a valid length"};
    case errc::bad_chunk: return {"bad_chunk", 400, "the chunked body is malformed"};
    case errc::obs_fold: return {"obs_fold", 400, "a header line is folded (obs-fold)"};
    case errc::trailers_too_large:
      return {"trailers_too_large", 400, "request trailers are not accepted"};
    case errc::no_route: return {"no_route", 404, "no route matches the request path"};
    case errc::client_idle_timeout:
      return {"client_idle_timeout", 408, "the client was silent longer than the idle timeout"};
    case errc::upstream_connect_failed:
      return {"upstream_connect_failed", 502, "the upstream cannot be reached"};
    case errc::upstream_tls_failed:
      return {"upstream_tls_failed", 502, "the TLS handshake with the upstream failed"};
    case errc::upstream_timeout:
      return {"upstream_timeout", 504, "the upstream did not answer in time"};
    case errc::upstream_bad_response:
      return {"upstream_bad_response", 502, "the upstream sent a malformed response"};
    case errc::upstream_response_too_large:
      return {"upstream_response_too_large", 502,
              "the upstream response head exceeds response_header_bytes"};
    case errc::upstream_closed:
      return {"upstream_closed", 502, "the upstream closed the connection before answering"};
    case errc::shutting_down: return {"shutting_down", 503, "the proxy is shutting down"};
    case errc::too_many_connections:
      return {"too_many_connections", 503, "limits.max_connections is reached"};
    case errc::sid_extension_malformed:
      return {"sid_extension_malformed", 403,
              "the certificate's SID (extension 1.3.6.1.4.1.311.25.2 or SAN URL) is malformed"};
    case errc::sid_ambiguous:
      return {"sid_ambiguous", 403, "the certificate names more than one different SID"};
    case errc::sid_mismatch:
      return {"sid_mismatch", 403, "the certificate's SID is not the account's objectSid"};
    case errc::mapping_weak:
      return {"mapping_weak", 403,
              "the certificate maps to the account only weakly (UPN or weak altSecurityIdentities); "
              "certificate_mapping: strong needs a SID match or a strong altSecurityIdentities value"};
    case errc::revoked: return {"revoked", 403, "a certificate in the chain is revoked"};
    case errc::revocation_unknown:
      return {"revocation_unknown", 403,
              "the revocation status of a certificate in the chain is unknown (trust.revocation.mode: hard)"};
    case errc::delegation_refused:
      return {"delegation_refused", 403, "the KDC refused a ticket for this account (disabled or unknown)"};
    case errc::delegation_not_allowed:
      return {"delegation_not_allowed", 502,
              "the proxy's service account may not delegate to the route's service_principal"};
    case errc::kdc_unavailable: return {"kdc_unavailable", 503, "the Kerberos KDC cannot be reached"};
    case errc::upstream_auth_failed:
      return {"upstream_auth_failed", 502, "the upstream rejected the delegated Kerberos ticket"};
    case errc::mutual_auth_failed:
      return {"mutual_auth_failed", 502, "the upstream's Negotiate reply did not authenticate it"};
    case errc::channel_binding_unavailable:
      return {"channel_binding_unavailable", 502,
              "kerberos.channel_binding: required, but no TLS channel binding exists for this upstream"};
    case errc::upstream_header_too_large:
      return {"upstream_header_too_large", 431,
              "the request head with the Authorization header exceeds the upstream's request_header_bytes"};
    case errc::identity_recheck_failed:
      return {"identity_recheck_failed", 403,
              "the periodic re-check of the certificate or account (trust.recheck_interval) failed"};
  }
  return {"unknown", 500, "unknown error"};
}

// error_category's destructor is protected and non-virtual by design; instances are never deleted.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class proxy_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "cba.proxy"; }
  std::string message(int value) const override { return info(static_cast<errc>(value)).message; }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& proxy_category() noexcept {
  static const proxy_category_impl category;
  return category;
}

std::string_view reason_code(errc e) noexcept { return info(e).name; }

std::string reason_code(const boost::system::error_code& ec) {
  if (ec.category() == proxy_category()) return std::string(reason_code(static_cast<errc>(ec.value())));
  return std::string(ec.category().name()) + ":" + std::to_string(ec.value());
}

unsigned to_http_status(errc e) noexcept { return info(e).status; }

}  // namespace cba
