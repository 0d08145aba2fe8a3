#pragma once
// Whether a resolved account may log on: the configured account_checks (the certificate mapping is
// proxy/certificate_mapping.hpp). Pure: the same inputs always give the same decision, so every refusal
// is unit-testable.

#include "config/config.hpp"
#include "ldap/account.hpp"
#include "proxy/error.hpp"

#include <chrono>

namespace cba {

errc check_account(const ldap::directory_account& account, const config::directory_config& cfg,
                   std::chrono::system_clock::time_point now);

}  // namespace cba
