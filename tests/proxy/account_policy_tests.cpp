#include "proxy/account_policy.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;

namespace {

cba::config::directory_config upn_mapping() {
  cba::config::directory_config cfg;
  cfg.certificate_mapping = cba::config::certificate_mapping_mode::upn;
  return cfg;
}

}  // namespace

TEST_CASE("account checks refuse disabled, locked and expired accounts with their own reason") {
  const auto now = std::chrono::system_clock::now();
  auto cfg = upn_mapping();
  cba::ldap::directory_account account;
  CHECK(cba::check_account(account, cfg, now) == cba::errc::ok);

  auto disabled = account;
  disabled.disabled = true;
  CHECK(cba::check_account(disabled, cfg, now) == cba::errc::account_disabled);

  auto locked = account;
  locked.locked = true;
  CHECK(cba::check_account(locked, cfg, now) == cba::errc::account_locked);

  auto expired = account;
  expired.expires = now - 1s;
  CHECK(cba::check_account(expired, cfg, now) == cba::errc::account_expired);
  expired.expires = now + 1h;
  CHECK(cba::check_account(expired, cfg, now) == cba::errc::ok);
}

TEST_CASE("account checks apply only when configured") {
  const auto now = std::chrono::system_clock::now();
  auto cfg = upn_mapping();
  cfg.account_checks = {cba::config::account_check::expired};
  cba::ldap::directory_account account;
  account.disabled = true;
  account.locked = true;
  CHECK(cba::check_account(account, cfg, now) == cba::errc::ok);
  account.expires = now - 1h;
  CHECK(cba::check_account(account, cfg, now) == cba::errc::account_expired);
}

TEST_CASE("account checks do not depend on the certificate mapping mode") {
  // The mapping is decided from the certificate as well: proxy/certificate_mapping.hpp.
  const auto now = std::chrono::system_clock::now();
  cba::ldap::directory_account account;
  for (auto mode : {cba::config::certificate_mapping_mode::strong, cba::config::certificate_mapping_mode::compatibility,
                    cba::config::certificate_mapping_mode::upn}) {
    cba::config::directory_config cfg;
    cfg.certificate_mapping = mode;
    CHECK(cba::check_account(account, cfg, now) == cba::errc::ok);
    account.disabled = true;
    CHECK(cba::check_account(account, cfg, now) == cba::errc::account_disabled);
    account.disabled = false;
  }
}
