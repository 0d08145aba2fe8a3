#pragma once
// Active Directory attribute decoding: objectSid, userAccountControl, accountExpires (FILETIME) and the
// whole account. Pure functions over raw values, so every rule is testable without a DC.

#include "ldap/account.hpp"
#include "ldap/raw_entry.hpp"

#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cba::ldap {

// The attributes a lookup asks for (nullptr-terminated, as libldap wants them).
extern const char* const account_attributes[];

inline constexpr std::uint32_t uac_accountdisable = 0x2;  // userAccountControl
inline constexpr std::uint32_t uac_lockout = 0x10;        // msDS-User-Account-Control-Computed
inline constexpr std::string_view computed_uac_attribute = "msDS-User-Account-Control-Computed";

// Binary SID (revision, count, 48-bit big-endian authority, count little-endian 32-bit sub-authorities)
// as "S-1-5-21-...". nullopt when the bytes are not a well-formed SID.
std::optional<std::string> sid_to_string(std::string_view binary);

// A decimal integer attribute value (AD writes them as signed decimal text). nullopt when malformed.
std::optional<std::int64_t> parse_integer(std::string_view text);

// accountExpires: 0 and 0x7FFFFFFFFFFFFFFF mean never (nullopt); other values are FILETIME (100 ns since
// 1601-01-01 UTC), clamped to what system_clock can hold.
std::optional<std::chrono::system_clock::time_point> account_expiry(std::int64_t filetime);

// The account in `entry`. `upn` is the UPN looked up (used when the entry has no userPrincipalName).
// Requires sAMAccountName and a well-formed objectSid; errc::bad_entry otherwise. `locked` is read
// from msDS-User-Account-Control-Computed when the entry carries it.
boost::system::result<directory_account> decode_account(const raw_entry& entry, std::string_view upn);

}  // namespace cba::ldap
