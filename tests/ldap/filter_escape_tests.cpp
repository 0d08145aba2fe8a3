#include "ldap/filter_escape.hpp"

#include <catch2/catch.hpp>

#include <string>

using cba::ldap::escape_filter_value;
using cba::ldap::expand_user_filter;
using namespace std::string_literals;

TEST_CASE("RFC 4515 escaping turns filter metacharacters into hex escapes") {
  CHECK(escape_filter_value("alice@example.test") == "alice@example.test");
  CHECK(escape_filter_value("*") == "\\2a");
  CHECK(escape_filter_value("(") == "\\28");
  CHECK(escape_filter_value(")") == "\\29");
  CHECK(escape_filter_value("\\") == "\\5c");
  CHECK(escape_filter_value("a\0b"s) == "a\\00b");
  CHECK(escape_filter_value("") == "");
  // UTF-8 passes unchanged (RFC 4515 allows it in assertion values).
  CHECK(escape_filter_value("j\xc3\xb8rgen@example.test") == "j\xc3\xb8rgen@example.test");
}

TEST_CASE("an injection UPN cannot change the filter's structure") {
  const std::string filter = "(&(objectCategory=person)(objectClass=user)(userPrincipalName={upn}))";
  CHECK(expand_user_filter(filter, "*)(userPrincipalName=*") ==
        "(&(objectCategory=person)(objectClass=user)(userPrincipalName=\\2a\\29\\28userPrincipalName=\\2a))");
  CHECK(expand_user_filter(filter, "alice@example.test)(|(cn=*") ==
        "(&(objectCategory=person)(objectClass=user)(userPrincipalName=alice@example.test\\29\\28|\\28cn=\\2a))");
  CHECK(expand_user_filter(filter, "x\\2a") ==
        "(&(objectCategory=person)(objectClass=user)(userPrincipalName=x\\5c2a))");
  const auto with_nul = expand_user_filter("(upn={upn})", "a\0*"s);
  CHECK(with_nul == "(upn=a\\00\\2a)");
  CHECK(with_nul.find('\0') == std::string::npos);
}

TEST_CASE("every {upn} placeholder is replaced, other braces are kept") {
  CHECK(expand_user_filter("(|(userPrincipalName={upn})(mail={upn}))", "a*") ==
        "(|(userPrincipalName=a\\2a)(mail=a\\2a))");
  CHECK(expand_user_filter("(cn={name})", "x") == "(cn={name})");
  CHECK(expand_user_filter("{upn}", "x") == "x");
  CHECK(expand_user_filter("", "x") == "");
}
