#include "ldap/account_decoder.hpp"
#include "ldap/error.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <limits>
#include <string>

using namespace cba::ldap;
using namespace std::string_literals;

namespace {

std::string bytes(std::initializer_list<unsigned> values) {
  std::string out;
  for (unsigned v : values) out += static_cast<char>(v);
  return out;
}

// erin's objectSid from the lab DC (ldapsearch: AQUAAAAAAAUVAAAAEU8VVjg0z2mhuaqHUgQAAA==).
const std::string erin_sid = bytes({0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x15, 0x00, 0x00, 0x00,
                                    0x11, 0x4f, 0x15, 0x56, 0x38, 0x34, 0xcf, 0x69, 0xa1, 0xb9, 0xaa, 0x87,
                                    0x52, 0x04, 0x00, 0x00});

raw_entry alice_entry() {
  raw_entry e;
  e.dn = "CN=alice,CN=Users,DC=example,DC=test";
  e.attributes = {
      {"distinguishedName", {"CN=alice,CN=Users,DC=example,DC=test"}},
      {"sAMAccountName", {"alice"}},
      {"userPrincipalName", {"alice@example.test"}},
      {"objectSid", {erin_sid}},
      {"userAccountControl", {"66048"}},  // NORMAL_ACCOUNT | DONT_EXPIRE_PASSWD
      {"accountExpires", {"9223372036854775807"}},
      {"altSecurityIdentities", {"X509:<I>DC=test,DC=example,CN=CA<SR>0102", "X509:<SKI>abcd"}},
      {"memberOf", {"CN=Staff,CN=Users,DC=example,DC=test"}},
  };
  return e;
}

void set(raw_entry& e, const std::string& name, std::vector<std::string> values) {
  for (auto& [attribute, vals] : e.attributes) {
    if (attribute == name) {
      vals = std::move(values);
      return;
    }
  }
  e.attributes.emplace_back(name, std::move(values));
}

void remove(raw_entry& e, const std::string& name) {
  std::erase_if(e.attributes, [&](const auto& a) { return a.first == name; });
}

}  // namespace

TEST_CASE("binary SIDs decode to their string form") {
  CHECK(sid_to_string(erin_sid) == "S-1-5-21-1444237073-1775187000-2276112801-1106");
  // Well-known SIDs: Everyone, BUILTIN\Administrators, Local System.
  CHECK(sid_to_string(bytes({1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0})) == "S-1-1-0");
  CHECK(sid_to_string(bytes({1, 2, 0, 0, 0, 0, 0, 5, 0x20, 0, 0, 0, 0x20, 2, 0, 0})) == "S-1-5-32-544");
  CHECK(sid_to_string(bytes({1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0})) == "S-1-5-18");
  // No sub-authorities; sub-authority 0xFFFFFFFF; a 48-bit authority is written in hex.
  CHECK(sid_to_string(bytes({1, 0, 0, 0, 0, 0, 0, 5})) == "S-1-5");
  CHECK(sid_to_string(bytes({1, 1, 0, 0, 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff})) == "S-1-5-4294967295");
  CHECK(sid_to_string(bytes({1, 0, 1, 0, 0, 0, 0, 0})) == "S-1-0x010000000000");
}

TEST_CASE("malformed SIDs are refused") {
  CHECK_FALSE(sid_to_string(""));
  CHECK_FALSE(sid_to_string(bytes({1, 1, 0, 0, 0, 0, 0})));                    // short header
  CHECK_FALSE(sid_to_string(bytes({1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0})));       // short sub-authority
  CHECK_FALSE(sid_to_string(bytes({1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0, 0}))); // trailing byte
  CHECK_FALSE(sid_to_string(bytes({2, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0})));    // revision 2
  CHECK_FALSE(sid_to_string(bytes({1, 16, 0, 0, 0, 0, 0, 5}) + std::string(64, '\0')));  // > 15 sub-authorities
}

TEST_CASE("accountExpires: 0 and the maximum mean never, other values are FILETIME") {
  using std::chrono::system_clock;
  CHECK_FALSE(account_expiry(0));
  CHECK_FALSE(account_expiry(std::numeric_limits<std::int64_t>::max()));
  // dave's accountExpires in the lab: 2020-01-01T00:00:00Z.
  const auto dave = account_expiry(132223104000000000);
  REQUIRE(dave);
  CHECK(system_clock::to_time_t(*dave) == 1577836800);
  // The Unix epoch itself and sub-second precision (100 ns ticks).
  CHECK(account_expiry(116444736000000000) == system_clock::time_point{});
  CHECK(account_expiry(116444736000000001)->time_since_epoch() == std::chrono::nanoseconds(100));
  // Outside system_clock's range: clamped, never wrapped around.
  CHECK(account_expiry(std::numeric_limits<std::int64_t>::max() - 1) == system_clock::time_point::max());
  CHECK(account_expiry(1) == system_clock::time_point::min());
  CHECK(account_expiry(-5) == system_clock::time_point::min());
}

TEST_CASE("integer attributes are strict decimal") {
  CHECK(parse_integer("66048") == 66048);
  CHECK(parse_integer("-1") == -1);
  CHECK_FALSE(parse_integer(""));
  CHECK_FALSE(parse_integer("12x"));
  CHECK_FALSE(parse_integer(" 1"));
  CHECK_FALSE(parse_integer("99999999999999999999"));
}

TEST_CASE("a complete entry decodes into the account") {
  const auto a = decode_account(alice_entry(), "ALICE@example.test");
  REQUIRE(a.has_value());
  CHECK(a->upn == "alice@example.test");  // AD's spelling, not the certificate's
  CHECK(a->sam_account_name == "alice");
  CHECK(a->sid == "S-1-5-21-1444237073-1775187000-2276112801-1106");
  CHECK(a->dn == "CN=alice,CN=Users,DC=example,DC=test");
  CHECK_FALSE(a->disabled);
  CHECK_FALSE(a->locked);
  CHECK_FALSE(a->expires);
  CHECK(a->alt_security_identities ==
        std::vector<std::string>{"X509:<I>DC=test,DC=example,CN=CA<SR>0102", "X509:<SKI>abcd"});
  CHECK(a->member_of == std::vector<std::string>{"CN=Staff,CN=Users,DC=example,DC=test"});
}

TEST_CASE("userAccountControl 0x2 disables, computed 0x10 locks, accountExpires sets the expiry") {
  auto e = alice_entry();
  set(e, "userAccountControl", {"514"});  // NORMAL_ACCOUNT | ACCOUNTDISABLE
  set(e, "msDS-User-Account-Control-Computed", {"16"});
  set(e, "accountExpires", {"132223104000000000"});
  const auto a = decode_account(e, "alice@example.test");
  REQUIRE(a.has_value());
  CHECK(a->disabled);
  CHECK(a->locked);
  REQUIRE(a->expires);
  CHECK(std::chrono::system_clock::to_time_t(*a->expires) == 1577836800);

  set(e, "userAccountControl", {"512"});
  set(e, "msDS-User-Account-Control-Computed", {"8388608"});  // PASSWORD_EXPIRED only
  const auto b = decode_account(e, "alice@example.test");
  REQUIRE(b.has_value());
  CHECK_FALSE(b->disabled);
  CHECK_FALSE(b->locked);
}

TEST_CASE("attribute names match case-insensitively, missing optional attributes are fine") {
  raw_entry e;
  e.dn = "CN=x,DC=example,DC=test";
  e.attributes = {{"SAMACCOUNTNAME", {"x"}}, {"objectsid", {erin_sid}}};
  const auto a = decode_account(e, "x@example.test");
  REQUIRE(a.has_value());
  CHECK(a->upn == "x@example.test");
  CHECK(a->dn == "CN=x,DC=example,DC=test");
  CHECK(a->alt_security_identities.empty());
}

TEST_CASE("entries without sAMAccountName or a valid objectSid are bad entries") {
  auto no_sam = alice_entry();
  remove(no_sam, "sAMAccountName");
  CHECK(decode_account(no_sam, "a").error() == errc::bad_entry);
  auto no_sid = alice_entry();
  remove(no_sid, "objectSid");
  CHECK(decode_account(no_sid, "a").error() == errc::bad_entry);
  auto bad_sid = alice_entry();
  set(bad_sid, "objectSid", {"S-1-5-21-1"});  // text, not binary
  CHECK(decode_account(bad_sid, "a").error() == errc::bad_entry);
  auto bad_uac = alice_entry();
  set(bad_uac, "userAccountControl", {"disabled"});
  CHECK(decode_account(bad_uac, "a").error() == errc::bad_entry);
  CHECK_FALSE(is_fatal(errc::bad_entry));
}
