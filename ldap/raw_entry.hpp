#pragma once
// One search result entry as the server sent it: the DN and each attribute's raw values (binary-safe).
// Decoding into a directory_account is separate (account_decoder.hpp) so it can be tested without a DC.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cba::ldap {

struct raw_entry {
  std::string dn;
  std::vector<std::pair<std::string, std::vector<std::string>>> attributes;

  // The values of `name` (attribute names compare case-insensitively), or nullptr when absent.
  const std::vector<std::string>* values(std::string_view name) const noexcept;
  // The first value of `name`, or nullptr.
  const std::string* first(std::string_view name) const noexcept;
};

}  // namespace cba::ldap
