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
  // Strong and compatibility mapping need the SID extension and altSecurityIdentities checks; until
  // they exist the config loader refuses those modes, and this keeps the proxy closed if one slips by.
  if (cfg.certificate_mapping != config::certificate_mapping_mode::upn) return errc::mapping_not_supported;
  return errc::ok;
}

}  // namespace cba
