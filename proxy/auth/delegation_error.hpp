#pragma once
// A Kerberos delegation failure: the reason (a cba::errc, mapped to the HTTP status by to_http_status)
// and the detail a user can act on (GSS major + minor status text, which carries the KDC's message,
// e.g. "KDC policy rejects request"). The detail is for logs, never for clients.

#include "proxy/error.hpp"

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>

#include <string>

namespace cba::auth {

struct delegation_error {
  boost::system::error_code code;  // cba::errc: delegation_refused, delegation_not_allowed,
                                   // kdc_unavailable, mutual_auth_failed, channel_binding_unavailable
  std::string detail;
};

inline delegation_error make_delegation_error(errc e, std::string detail) {
  return {make_error_code(e), std::move(detail)};
}

// For boost::system::result<T, delegation_error>::value() (found by ADL); throws system_error.
[[noreturn]] void throw_exception_from_error(const delegation_error& e, const boost::source_location& loc);

}  // namespace cba::auth
