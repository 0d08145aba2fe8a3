#pragma once
// The blocking GSS steps of a delegation, called on the delegation pool only (they may talk to the
// KDC): S4U2Self (impersonation) and the first gss_init_sec_context, which does S4U2Proxy unless the
// credential already holds a ticket for the target.

#include "proxy/auth/delegation_error.hpp"
#include "proxy/auth/gss_handles.hpp"
#include "proxy/auth/negotiate_context.hpp"

#include <boost/system/result.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace cba::auth {

struct impersonated {
  gss_cred cred;
  std::chrono::seconds lifetime{0};  // of the S4U2Self evidence ticket
};

class initiator {
 public:
  // S4U2Self for `user_principal` ("alice@EXAMPLE.TEST") with the service credential (SPNEGO mech).
  static boost::system::result<impersonated, delegation_error> impersonate(gss_cred_id_t service_cred,
                                                                           const std::string& user_principal);

  // A new context for `spn` with `cred`; `lifetime` gets the service ticket's remaining lifetime.
  static boost::system::result<negotiate_context, delegation_error> first_token(
      gss_cred_id_t cred, const std::string& user_principal, const std::string& spn,
      const std::optional<std::string>& channel_binding, bool from_cache, std::chrono::seconds& lifetime);

  // "HTTP/host" -> "HTTP@host" (host-based service); "HTTP/host@REALM" -> that Kerberos principal.
  static boost::system::result<gss_name, delegation_error> target_name(const std::string& spn);
};

// The channel-bindings struct over `application_data` (addresses GSS_C_AF_UNSPEC, empty).
gss_channel_bindings_struct make_channel_bindings(const std::string& application_data) noexcept;

}  // namespace cba::auth
