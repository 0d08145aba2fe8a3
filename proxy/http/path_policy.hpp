#pragma once
// Refuses request paths that the upstream may normalise into a different path than the one routed
// here. The route decides the authentication mode, so "/public/..%2fowa" routed by "/public" but
// served by the upstream as "/owa" would bypass the /owa route's authentication.
//
// Refused in the path (the part of the target before '?'); the query string is not inspected:
//  - dot-segments ("/./", "/../", a trailing "/." or "/..")
//  - empty segments ("//"): IIS/HTTP.sys, Apache (MergeSlashes) and nginx (merge_slashes) merge them,
//    so "//owa" would be routed here as something other than "/owa" yet served as "/owa"
//  - segments ending in '.' or a space ("/owa./", "/owa%20/"): Windows drops them, so IIS may serve
//    them as "/owa/"
//  - backslash (IIS treats it as '/'), ';' (servlet containers strip ";params" per segment), ':'
//    (NTFS "::$DATA" streams)
//  - percent-encoded '.', '/', '\', '%' (double encoding), ';', ':' and control characters, any case
//  - malformed percent-encoding ("%zz", IIS's "%u002e" form), percent-decoded bytes that are not
//    well-formed UTF-8 (overlong "%c0%ae" is '.' to a lenient decoder)
//  - raw control characters, space, bytes >= 0x80, '#'
// "*" (OPTIONS *) is accepted as is.

#include "proxy/error.hpp"

#include <string>
#include <string_view>

namespace cba::http {

struct path_verdict {
  cba::errc reason = cba::errc::ok;  // ok or bad_request
  std::string detail;

  bool ok() const noexcept { return reason == cba::errc::ok; }
};

// The path part of an origin-form target: everything before the first '?'.
std::string_view path_of(std::string_view target) noexcept;

path_verdict check_request_path(std::string_view target);

}  // namespace cba::http
