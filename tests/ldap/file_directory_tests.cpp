#include "ldap/file_directory.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <catch2/catch.hpp>

namespace {

cba::ldap::directory_account account(std::string upn, std::string sam, bool disabled = false) {
  cba::ldap::directory_account a;
  a.upn = std::move(upn);
  a.sam_account_name = std::move(sam);
  a.disabled = disabled;
  return a;
}

cba::ldap::lookup_result lookup(cba::ldap::directory& dir, std::string upn) {
  boost::asio::io_context ioc;
  auto future = boost::asio::co_spawn(ioc, dir.lookup(upn), boost::asio::use_future);
  ioc.run();
  return future.get();
}

}  // namespace

TEST_CASE("file directory finds accounts by UPN, case-insensitively") {
  cba::ldap::file_directory dir({account("Alice@Example.Test", "alice"), account("bob@example.test", "bob", true)});
  auto alice = lookup(dir, "alice@example.test");
  REQUIRE(alice.has_value());
  CHECK(alice->sam_account_name == "alice");
  auto upper = lookup(dir, "ALICE@EXAMPLE.TEST");
  REQUIRE(upper.has_value());
  CHECK(upper->sam_account_name == "alice");
  auto bob = lookup(dir, "bob@example.test");
  REQUIRE(bob.has_value());
  CHECK(bob->disabled);
}

TEST_CASE("file directory refuses unknown and look-alike UPNs") {
  cba::ldap::file_directory dir({account("alice@example.test", "alice")});
  const std::vector<std::string> look_alikes{"nobody@example.test", "alice@example.test ", "*",
                                             "alice@example.tes", "", std::string("alice@example.test\0x", 20)};
  for (const auto& upn : look_alikes) {
    auto result = lookup(dir, upn);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error() == cba::ldap::errc::not_found);
  }
}
