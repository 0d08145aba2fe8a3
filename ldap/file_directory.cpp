#include "ldap/file_directory.hpp"

#include <cctype>

namespace cba::ldap {

std::string normalize_upn(std::string_view upn) {
  std::string key(upn);
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

file_directory::file_directory(std::vector<directory_account> accounts) {
  for (auto& account : accounts) {
    std::string key = normalize_upn(account.upn);
    by_upn_.emplace(std::move(key), std::move(account));
  }
}

lookup_result file_directory::find(std::string_view upn) const {
  auto it = by_upn_.find(normalize_upn(upn));
  if (it == by_upn_.end()) return make_error_code(errc::not_found);
  return it->second;
}

boost::asio::awaitable<lookup_result> file_directory::lookup(std::string_view upn) {
  co_return find(upn);
}

}  // namespace cba::ldap
