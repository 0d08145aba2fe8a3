#pragma once
// RFC 4515 escaping of values placed in LDAP search filters. The UPN comes from a client certificate:
// untrusted input that must never change the structure of the filter.

#include <string>
#include <string_view>

namespace cba::ldap {

// `value` with `*`, `(`, `)`, `\` and NUL written as \2a \28 \29 \5c \00 (RFC 4515 section 3).
std::string escape_filter_value(std::string_view value);

// `filter` with every `{upn}` replaced by escape_filter_value(upn).
std::string expand_user_filter(std::string_view filter, std::string_view upn);

}  // namespace cba::ldap
