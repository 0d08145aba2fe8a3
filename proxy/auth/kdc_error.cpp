#include "proxy/auth/kdc_error.hpp"

#include "proxy/auth/gss_handles.hpp"

#include <krb5/krb5.h>

#include <cerrno>
#include <initializer_list>
#include <optional>
#include <string>

namespace cba::auth {
namespace {

bool contains(std::string_view text, std::initializer_list<std::string_view> needles) {
  for (const auto n : needles) {
    if (text.find(n) != std::string_view::npos) return true;
  }
  return false;
}

std::optional<errc> from_code(krb5_error_code code) {
  switch (code) {
    case KRB5KDC_ERR_POLICY:               // Samba: disabled account on S4U2Self
    case KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN:  // no such account
    case KRB5KDC_ERR_CLIENT_REVOKED:       // locked out
    case KRB5KDC_ERR_NAME_EXP:             // account expired
    case KRB5KDC_ERR_KEY_EXP:
      return errc::delegation_refused;
    case KRB5KDC_ERR_BADOPTION:            // SPN not in msDS-AllowedToDelegateTo, no protocol transition
    case KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN:  // the route's SPN does not exist
    case KRB5KDC_ERR_PREAUTH_FAILED:       // the service's own key is wrong
    case KRB5_KT_NOTFOUND:
    case KRB5_KT_END:
      return errc::delegation_not_allowed;
    case KRB5_KDC_UNREACH:
    case KRB5_REALM_CANT_RESOLVE:
    case KRB5_REALM_UNKNOWN:
    case KRB5KDC_ERR_SVC_UNAVAILABLE:
    case ETIMEDOUT:
    case ECONNREFUSED:
      return errc::kdc_unavailable;
    default:
      return std::nullopt;
  }
}

}  // namespace

delegation_error classify_gss_failure(std::string_view what, OM_uint32 major, OM_uint32 minor, errc fallback) {
  std::string detail = gss_status_text(what, major, minor);
  if (const auto e = from_code(static_cast<krb5_error_code>(minor))) return {make_error_code(*e), std::move(detail)};
  // The mechglue may have remapped the minor code; the text still carries the KDC's message.
  if (contains(detail, {"can't fulfill requested option", "constrained delegation", "Server not found"})) {
    return make_delegation_error(errc::delegation_not_allowed, std::move(detail));
  }
  if (contains(detail, {"KDC policy rejects", "not found in Kerberos database", "credentials have been revoked",
                        "entry in database has expired"})) {
    return make_delegation_error(errc::delegation_refused, std::move(detail));
  }
  if (contains(detail, {"Cannot contact any KDC", "Cannot find KDC", "timed out", "Connection refused"})) {
    return make_delegation_error(errc::kdc_unavailable, std::move(detail));
  }
  return make_delegation_error(fallback, std::move(detail));
}

}  // namespace cba::auth
