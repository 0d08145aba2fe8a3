#include "proxy/account_policy.hpp"

#include <algorithm>

namespace cba {

errc check_account(const ldap::directory_account& account, const config::directory_config& cfg,
                   std::chrono::system_clock::time_point now) {
  auto enabled = [&cfg](config::account_check check) {
    return std::find(cfg.account_checks.begin(), cfg.account_checks.end(), check) !=
           cfg.account_checks.end();
  };
  if (enabled(config::account_check::disabled) && account.disabled) return errc::account_disabled;
  if (enabled(config::account_check::locked) && account.locked) return errc::account_locked;
  if (enabled(config::account_check::expired) && account.expires && *account.expires <= now)
    return errc::account_expired;
  // The certificate mapping (certificate_mapping: strong | compatibility | upn) is decided separately,
  // from the certificate too: proxy/certificate_mapping.hpp.
  return errc::ok;
}

}  // namespace cba
