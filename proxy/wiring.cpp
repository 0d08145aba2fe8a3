#include "proxy/wiring.hpp"

#include "ldap/file_directory.hpp"
#include "ldap/ldap_directory.hpp"

#include <stdexcept>

namespace cba {
namespace {

ldap::ldap_directory_options ldap_options(const config::ldap_config& l) {
  ldap::ldap_directory_options o;
  o.client.bind = l.bind.method == config::ldap_bind_method::gssapi ? ldap::client_options::bind_method::gssapi
                                                                    : ldap::client_options::bind_method::simple;
  o.client.bind_keytab = l.bind.keytab;
  o.client.bind_principal = l.bind.principal;
  o.client.urls = l.urls;
  o.client.start_tls = l.start_tls;
  o.client.ca_file = l.ca;
  o.client.bind_dn = l.bind.dn;
  o.client.bind_password_file = l.bind.password_file;
  o.client.base_dn = l.base_dn;
  o.client.user_filter = l.user_filter;
  o.client.timeout = l.timeout;
  o.client.pool_size = l.pool_size == 0 ? 1 : l.pool_size;
  o.cache.ttl = l.cache.ttl;
  o.cache.negative_ttl = l.cache.negative_ttl;
  o.cache.max_entries = static_cast<std::size_t>(l.cache.max_entries);
  return o;
}

}  // namespace

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
    case config::directory_type::ldap: return std::make_unique<ldap::ldap_directory>(ldap_options(cfg.ldap));
  }
  throw std::runtime_error("directory.type: unknown directory type");
}

}  // namespace cba
