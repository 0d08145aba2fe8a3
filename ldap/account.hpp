#pragma once
// An Active Directory account as the proxy needs it, whatever directory produced it.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cba::ldap {

struct directory_account {
  std::string upn;
  std::string sam_account_name;
  std::string sid;  // "S-1-5-21-..."
  std::string dn;
  bool disabled = false;  // userAccountControl 0x2
  bool locked = false;    // msDS-User-Account-Control-Computed 0x10
  std::optional<std::chrono::system_clock::time_point> expires;  // accountExpires; empty: never
  std::vector<std::string> alt_security_identities;
  std::vector<std::string> member_of;
};

}  // namespace cba::ldap
