#include "ldap/error.hpp"

#include <boost/asio/error.hpp>

#include <catch2/catch.hpp>

TEST_CASE("ldap errors say what happened and whether the connection is lost") {
  using cba::ldap::errc;
  CHECK(make_error_code(errc::not_found).message() == "no account has this UPN");
  CHECK_FALSE(cba::ldap::is_fatal(errc::not_found));
  CHECK_FALSE(cba::ldap::is_fatal(errc::ambiguous));
  CHECK(cba::ldap::is_fatal(errc::unavailable));
  CHECK(cba::ldap::is_fatal(errc::timeout));
  CHECK(cba::ldap::is_fatal(boost::asio::error::connection_reset));
  CHECK_FALSE(cba::ldap::is_fatal(boost::system::error_code{}));
}
