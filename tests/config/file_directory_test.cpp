// The users file of directory.type: file; its problems name the users file and its own line:column.
#include "config/file_directory_loader.hpp"

#include "config_fixture.hpp"

using namespace cba::config;
using namespace cba::config::test;

TEST_CASE("users file problems are reported in the users file") {
  const config_dir dir;
  dir.write("users.yaml",
            "accounts:\n"
            "  - upn: alice@example.test\n"
            "    sam_account_name: alice\n"
            "  - upn: ALICE@Example.Test\n"           // 4: duplicate
            "    sam_account_name: alice2\n"
            "  - upn: carol\n"                        // 6: no @
            "    sam_account_name: carol\n"
            "    sid: 1-5-21\n"                       // 8: bad sid
            "  - upn: dave@a@b\n"                     // 9: two @
            "    sam_account_name: dave\n"
            "    disabled: sometimes\n"               // 11: bad bool
            "    mail: dave@example.test\n"           // 12: unknown key
            "  - sam_account_name: erin\n");          // 13: no upn
  const auto r = load(dir, minimal_yaml);
  CHECK_FALSE(r.config);
  const std::string users = dir.abs("users.yaml");
  std::vector<std::string> got;
  for (const auto& p : r.problems) got.push_back(format(p));
  CHECK(got == std::vector<std::string>{
                   users + ":4:10: accounts[1].upn: duplicate upn 'ALICE@Example.Test' (also accounts[0] at "
                           "line 2; UPNs are case-insensitive)",
                   users + ":6:10: accounts[2].upn: expected a UPN like alice@example.test (exactly one '@', "
                           "no spaces), got \"carol\"",
                   users + ":8:10: accounts[2].sid: expected a SID like S-1-5-21-1004336348-1177238915-"
                           "682003330-1104, got \"1-5-21\"",
                   users + ":9:10: accounts[3].upn: expected a UPN like alice@example.test (exactly one '@', "
                           "no spaces), got \"dave@a@b\"",
                   users + ":11:15: accounts[3].disabled: expected true or false, got \"sometimes\"",
                   users + ":12:5: accounts[3].mail: unknown key 'mail'; expected one of: alt_security_identities, "
                           "disabled, dn, sam_account_name, sid, upn",
                   users + ":13:5: accounts[4].upn: required, but missing",
               });
}

TEST_CASE("users file problems come after the config's own") {
  const config_dir dir;
  dir.write("users.yaml", "accounts:\n  - upn: x\n    sam_account_name: x\n");
  const auto r = load(dir, minimal_yaml + "log: {level: loud}\n");
  REQUIRE(r.problems.size() == 2);
  CHECK(r.problems[0].file == "cba.yaml");
  CHECK(r.problems[1].file == dir.abs("users.yaml"));
}

TEST_CASE("users file syntax errors and shape errors") {
  std::vector<problem> problems;
  parse_file_directory("accounts: [\n", "u.yaml", problems);
  REQUIRE(problems.size() == 1);
  CHECK_THAT(format(problems[0]), Catch::StartsWith("u.yaml:2:1: YAML syntax error"));

  problems.clear();
  parse_file_directory("users:\n  - upn: a@b\n", "u.yaml", problems);
  REQUIRE(problems.size() == 2);
  CHECK(format(problems[0]) == "u.yaml:1:1: accounts: required, but missing");
  CHECK(format(problems[1]) == "u.yaml:1:1: users: unknown key 'users'; expected one of: accounts");

  problems.clear();
  parse_file_directory("accounts: alice\n", "u.yaml", problems);
  REQUIRE(problems.size() == 1);
  CHECK(format(problems[0]) == "u.yaml:1:11: accounts: expected a list of accounts, got \"alice\"");
}

TEST_CASE("users file accounts parse fully") {
  std::vector<problem> problems;
  const auto accounts = parse_file_directory(
      "accounts:\n"
      "  - upn: alice@example.test\n"
      "    sam_account_name: alice\n"
      "    sid: S-1-5-21-1004336348-1177238915-682003330-1104\n"
      "    dn: \"CN=Alice,CN=Users,DC=example,DC=test\"\n"
      "    disabled: true\n"
      "    alt_security_identities: [\"X509:<I>DC=test,DC=example,CN=Example Issuing CA<SR>0a1b2c\"]\n",
      "u.yaml", problems);
  CHECK(problems.empty());
  REQUIRE(accounts.size() == 1);
  CHECK(accounts[0].disabled);
  CHECK(accounts[0].alt_security_identities ==
        std::vector<std::string>{"X509:<I>DC=test,DC=example,CN=Example Issuing CA<SR>0a1b2c"});
}

TEST_CASE("UPN and SID syntax") {
  CHECK(is_plausible_upn("a@b"));
  CHECK_FALSE(is_plausible_upn("@b"));
  CHECK_FALSE(is_plausible_upn("a@"));
  CHECK_FALSE(is_plausible_upn("a b@c"));
  CHECK(is_sid_string("S-1-5-21-1-2-3-1104"));
  CHECK(is_sid_string("S-1-5"));
  CHECK_FALSE(is_sid_string("S-1-"));
  CHECK_FALSE(is_sid_string("S-1-5-"));
  CHECK_FALSE(is_sid_string("S-1-5--2"));
  CHECK_FALSE(is_sid_string("s-1-5"));
  CHECK_FALSE(is_sid_string("S-1-x"));
}
