#pragma once
// Maps a failed GSS call (whose minor status carries the KDC's answer) to a delegation reason.

#include "proxy/auth/delegation_error.hpp"

#include <gssapi/gssapi.h>

#include <string_view>

namespace cba::auth {

// `what` names the step for the detail ("S4U2Self for alice@EXAMPLE.TEST"). Account refusals
// (disabled, unknown, revoked, expired) -> delegation_refused; KDC refusing the delegation option or
// the target -> delegation_not_allowed; unreachable KDC -> kdc_unavailable; anything else -> `fallback`.
delegation_error classify_gss_failure(std::string_view what, OM_uint32 major, OM_uint32 minor, errc fallback);

}  // namespace cba::auth
