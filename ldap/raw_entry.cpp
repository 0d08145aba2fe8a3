#include "ldap/raw_entry.hpp"

#include <algorithm>
#include <cctype>

namespace cba::ldap {
namespace {

bool equal_ignore_case(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

const std::vector<std::string>* raw_entry::values(std::string_view name) const noexcept {
  for (const auto& [attribute, vals] : attributes)
    if (equal_ignore_case(attribute, name)) return &vals;
  return nullptr;
}

const std::string* raw_entry::first(std::string_view name) const noexcept {
  const auto* vals = values(name);
  return vals && !vals->empty() ? &vals->front() : nullptr;
}

}  // namespace cba::ldap
