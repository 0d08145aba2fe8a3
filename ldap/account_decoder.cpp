#include "ldap/account_decoder.hpp"

#include "ldap/error.hpp"

#include <charconv>
#include <limits>

namespace cba::ldap {

const char* const account_attributes[] = {
    "distinguishedName", "sAMAccountName",        "userPrincipalName",
    "objectSid",         "userAccountControl",    "msDS-User-Account-Control-Computed",
    "accountExpires",    "altSecurityIdentities", "memberOf",
    nullptr};

std::optional<std::string> sid_to_string(std::string_view binary) {
  if (binary.size() < 8) return std::nullopt;
  const auto byte = [&](std::size_t i) { return static_cast<std::uint64_t>(static_cast<unsigned char>(binary[i])); };
  const auto revision = byte(0);
  const auto count = byte(1);
  if (revision != 1 || count > 15 || binary.size() != 8 + 4 * count) return std::nullopt;
  std::uint64_t authority = 0;
  for (std::size_t i = 2; i < 8; ++i) authority = (authority << 8) | byte(i);
  std::string out = "S-1-";
  if (authority >= (std::uint64_t{1} << 32)) {
    // MS-DTYP 2.4.2.1: large authorities are written in hex.
    static constexpr char hex[] = "0123456789ABCDEF";
    out += "0x";
    for (std::size_t i = 2; i < 8; ++i) {
      out += hex[byte(i) >> 4];
      out += hex[byte(i) & 15];
    }
  } else {
    out += std::to_string(authority);
  }
  for (std::size_t n = 0; n < count; ++n) {
    const std::size_t at = 8 + 4 * n;
    const std::uint64_t sub = byte(at) | (byte(at + 1) << 8) | (byte(at + 2) << 16) | (byte(at + 3) << 24);
    out += '-';
    out += std::to_string(sub);
  }
  return out;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end || text.empty()) return std::nullopt;
  return value;
}

std::optional<std::chrono::system_clock::time_point> account_expiry(std::int64_t filetime) {
  if (filetime == 0 || filetime == std::numeric_limits<std::int64_t>::max()) return std::nullopt;
  using clock = std::chrono::system_clock;
  if (filetime < 0) return clock::time_point::min();  // not a valid FILETIME: treat as long expired
  using ticks = std::chrono::duration<std::int64_t, std::ratio<1, 10'000'000>>;  // FILETIME's 100 ns
  constexpr std::int64_t unix_epoch = 116'444'736'000'000'000;  // 1970-01-01 in FILETIME
  const std::int64_t since_unix = filetime - unix_epoch;           // no overflow: filetime > 0 here
  const auto max_ticks = std::chrono::duration_cast<ticks>(clock::duration::max()).count();
  const auto min_ticks = std::chrono::duration_cast<ticks>(clock::duration::min()).count();
  if (since_unix >= max_ticks) return clock::time_point::max();
  if (since_unix <= min_ticks) return clock::time_point::min();
  return clock::time_point(std::chrono::duration_cast<clock::duration>(ticks(since_unix)));
}

boost::system::result<directory_account> decode_account(const raw_entry& entry, std::string_view upn) {
  directory_account account;
  const auto* sam = entry.first("sAMAccountName");
  const auto* sid = entry.first("objectSid");
  if (!sam || !sid) return make_error_code(errc::bad_entry);
  auto sid_text = sid_to_string(*sid);
  if (!sid_text) return make_error_code(errc::bad_entry);
  account.sam_account_name = *sam;
  account.sid = std::move(*sid_text);
  const auto* dn = entry.first("distinguishedName");
  account.dn = dn ? *dn : entry.dn;
  const auto* entry_upn = entry.first("userPrincipalName");
  account.upn = entry_upn ? *entry_upn : std::string(upn);

  if (const auto* uac = entry.first("userAccountControl")) {
    const auto flags = parse_integer(*uac);
    if (!flags) return make_error_code(errc::bad_entry);
    account.disabled = (static_cast<std::uint64_t>(*flags) & uac_accountdisable) != 0;
  }
  if (const auto* computed = entry.first(computed_uac_attribute)) {
    const auto flags = parse_integer(*computed);
    if (!flags) return make_error_code(errc::bad_entry);
    account.locked = (static_cast<std::uint64_t>(*flags) & uac_lockout) != 0;
  }
  if (const auto* expires = entry.first("accountExpires")) {
    const auto filetime = parse_integer(*expires);
    if (!filetime) return make_error_code(errc::bad_entry);
    account.expires = account_expiry(*filetime);
  }
  if (const auto* alt = entry.values("altSecurityIdentities")) account.alt_security_identities = *alt;
  if (const auto* groups = entry.values("memberOf")) account.member_of = *groups;
  return account;
}

}  // namespace cba::ldap
