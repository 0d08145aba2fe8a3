#pragma once
// The embedded directory: a fixed list of accounts (the demo and tests). Lookups are case-insensitive
// on the UPN, as AD's userPrincipalName matching is.

#include "ldap/directory.hpp"

#include <string>
#include <unordered_map>
#include <vector>

namespace cba::ldap {

class file_directory final : public directory {
 public:
  explicit file_directory(std::vector<directory_account> accounts);
  boost::asio::awaitable<lookup_result> lookup(std::string_view upn) override;
  // The same answer, without a coroutine frame (the lookup never waits).
  lookup_result find(std::string_view upn) const;

 private:
  std::unordered_map<std::string, directory_account> by_upn_;  // key: lower-cased UPN
};

// ASCII lower-casing used for UPN keys (AD compares UPNs case-insensitively).
std::string normalize_upn(std::string_view upn);

}  // namespace cba::ldap
