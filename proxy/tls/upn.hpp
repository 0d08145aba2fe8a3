#pragma once
// Choosing the one UPN a client certificate logs on as (identity.upn_sources, allowed_upn_suffixes).

#include "config/config.hpp"
#include "proxy/error.hpp"

#include <openssl/x509.h>

#include <optional>
#include <string>
#include <string_view>

namespace cba::tls {

struct upn_selection {
  errc reason = errc::ok;  // ok | upn_missing | upn_malformed | upn_ambiguous | upn_suffix_not_allowed
  std::string upn;         // set when reason == ok, original case
  std::string detail;      // why not, for logs (values are escaped, never raw control bytes)
};

// Sources are tried in the configured order; the first that has a UPN decides (a malformed or ambiguous
// value refuses, it does not fall through to the next source).
//   san_upn:     SAN otherName 1.3.6.1.4.1.311.20.2.3; UTF8String only; several identical values (case-
//                insensitively) count as one, different values are upn_ambiguous.
//   subject_upn: the subject's commonName when exactly one of them contains '@'.
upn_selection select_upn(X509* leaf, const config::identity_config& identity);

// Why `upn` is not a usable UPN, or nullopt: valid UTF-8, no control/whitespace/format characters,
// exactly one '@' with non-empty parts, at most 1024 bytes.
std::optional<std::string> upn_problem(std::string_view upn);

// Printable form of untrusted bytes for details: printable ASCII kept, everything else as \xNN.
std::string escape_for_log(std::string_view bytes);

}  // namespace cba::tls
