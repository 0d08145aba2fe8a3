#include "proxy/wiring.hpp"

#include "ldap/file_directory.hpp"

#include <stdexcept>

namespace cba {

std::unique_ptr<ldap::directory> make_directory(const config::directory_config& cfg) {
  switch (cfg.type) {
    case config::directory_type::file: {
      std::vector<ldap::directory_account> accounts;
      accounts.reserve(cfg.file.accounts.size());
      for (const auto& a : cfg.file.accounts) {
        ldap::directory_account account;
        account.upn = a.upn;
        account.sam_account_name = a.sam_account_name;
        account.sid = a.sid;
        account.dn = a.dn;
        account.disabled = a.disabled;
        account.alt_security_identities = a.alt_security_identities;
        accounts.push_back(std::move(account));
      }
      return std::make_unique<ldap::file_directory>(std::move(accounts));
    }
    case config::directory_type::ldap:
      break;
  }
  throw std::runtime_error("directory.type: ldap is not supported yet");
}

}  // namespace cba
