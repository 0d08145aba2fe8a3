// Each kind of problem, with its exact FILE:LINE:COL and key path.
#include "config_fixture.hpp"

using namespace cba::config;
using namespace cba::config::test;

TEST_CASE("the minimal config loads") {
  const config_dir dir;
  const auto r = load(dir, minimal_yaml);
  INFO(all_problems(r));
  CHECK(r.problems.empty());
  CHECK(r.config.has_value());
}

TEST_CASE("format prints FILE:LINE:COL: key.path: message") {
  CHECK(format(problem{"/etc/cba/cba.yaml", 12, 7, "listeners[0].limits.request_header_bytes", "m"}) ==
        "/etc/cba/cba.yaml:12:7: listeners[0].limits.request_header_bytes: m");
  CHECK(format(problem{"f.yaml", 0, 0, "", "cannot read"}) == "f.yaml: cannot read");
  CHECK(format(problem{"f.yaml", 3, 1, "", "YAML syntax error: x"}) == "f.yaml:3:1: YAML syntax error: x");
}

TEST_CASE("an unknown key is an error at the key, with a suggestion") {
  const config_dir dir;
  const auto r = load(dir, replace(minimal_yaml, "    tls:\n", "    tsl:\n"));
  CHECK_FALSE(r.config);
  const auto p = only_problem_at(r, "listeners[0].tsl");
  CHECK(format(p) == "cba.yaml:4:5: listeners[0].tsl: unknown key 'tsl'; did you mean 'tls'?");
  // The real key is then missing, reported at the listener.
  CHECK(format(only_problem_at(r, "listeners[0].tls")) == "cba.yaml:2:5: listeners[0].tls: required, but missing");
}

TEST_CASE("an unknown key without a close match lists the known keys") {
  const config_dir dir;
  const auto r = load(dir, minimal_yaml + "runtime:\n  threads_of_doom: 3\n");
  CHECK(format(only_problem_at(r, "runtime.threads_of_doom")) ==
        "cba.yaml:20:3: runtime.threads_of_doom: unknown key 'threads_of_doom'; expected one of: "
        "blocking_threads, io_threads");
}

TEST_CASE("a wrong type names what was expected and what was found") {
  const config_dir dir;
  const auto r = load(dir, replace(minimal_yaml, "address: \"127.0.0.1:0\"", "address: [1, 2]"));
  CHECK(format(only_problem_at(r, "listeners[0].address")) ==
        "cba.yaml:3:14: listeners[0].address: expected a string, got a list");
  const auto r2 = load(dir, replace(minimal_yaml, "trust:\n  roots: pki/roots.pem\n", "trust: pki/roots.pem\n"));
  CHECK(format(only_problem_at(r2, "trust")) ==
        "cba.yaml:7:8: trust: expected a mapping of keys, got \"pki/roots.pem\"");
}

TEST_CASE("a bad enum value lists the allowed values") {
  const config_dir dir;
  const auto r = load(dir, replace(minimal_yaml, "      private_key: tls/server.key\n",
                                   "      private_key: tls/server.key\n      min_version: \"1.1\"\n"));
  CHECK(format(only_problem_at(r, "listeners[0].tls.min_version")) ==
        "cba.yaml:7:20: listeners[0].tls.min_version: expected one of 1.2 or 1.3, got \"1.1\"");
  const auto r2 = load(dir, minimal_yaml + "    auth: kerberoz\n");
  CHECK(format(only_problem_at(r2, "routes[0].auth")) ==
        "cba.yaml:19:11: routes[0].auth: expected one of kerberos, headers or none, got \"kerberoz\"");
}

TEST_CASE("a bad unit shows the expected form") {
  const config_dir dir;
  const auto r = load(dir, replace(minimal_yaml, "      private_key: tls/server.key\n",
                                   "      private_key: tls/server.key\n"
                                   "    limits:\n"
                                   "      request_header_bytes: 48 kilobytes\n"
                                   "      idle_timeout: 30\n"));
  CHECK(format(only_problem_at(r, "listeners[0].limits.request_header_bytes")) ==
        "cba.yaml:8:29: listeners[0].limits.request_header_bytes: expected a size like 49152 or 48KiB, "
        "got \"48 kilobytes\"");
  CHECK(format(only_problem_at(r, "listeners[0].limits.idle_timeout")) ==
        "cba.yaml:9:21: listeners[0].limits.idle_timeout: expected a duration like 500ms, 30s, 65m or 2h, "
        "got \"30\" (a unit is required: ms, s, m or h)");
}

TEST_CASE("numbers out of range and zero limits are refused") {
  const config_dir dir;
  const auto r = load(dir, replace(minimal_yaml, "  roots: pki/roots.pem\n",
                                   "  roots: pki/roots.pem\n  max_depth: 17\n") +
                               "    max_body_bytes: 0\n");
  CHECK(format(only_problem_at(r, "trust.max_depth")) == "cba.yaml:9:14: trust.max_depth: must be from 1 to 16, got 17");
  CHECK(format(only_problem_at(r, "routes[0].max_body_bytes")) ==
        "cba.yaml:20:21: routes[0].max_body_bytes: must be greater than 0");
  const auto r2 = load(dir, minimal_yaml + "runtime: {io_threads: -1}\n");
  CHECK(format(only_problem_at(r2, "runtime.io_threads")) ==
        "cba.yaml:19:23: runtime.io_threads: expected a whole number from 0 to 1024, got \"-1\"");
}

TEST_CASE("a missing required key is reported at the mapping that should hold it") {
  const config_dir dir;
  const auto r = load(dir, replace(minimal_yaml, "  roots: pki/roots.pem\n", "  max_depth: 4\n"));
  CHECK(format(only_problem_at(r, "trust.roots")) == "cba.yaml:8:3: trust.roots: required, but missing");
  const auto r2 = load(dir, replace(minimal_yaml, "routes:\n  - path_prefix: /\n    upstream: app\n", ""));
  CHECK(format(only_problem_at(r2, "routes")) == "cba.yaml:1:1: routes: required, but missing");
}

TEST_CASE("a missing referenced file is reported at its key") {
  const config_dir dir;
  std::filesystem::remove(dir.path() / "tls/server.key");
  const auto r = load(dir, minimal_yaml);
  CHECK(format(only_problem_at(r, "listeners[0].tls.private_key")) ==
        "cba.yaml:6:20: listeners[0].tls.private_key: no such file: " + dir.abs("tls/server.key"));
}

TEST_CASE("a folder where a file is expected is reported") {
  const config_dir dir;
  std::filesystem::create_directories(dir.path() / "pki/roots-dir");
  const auto r = load(dir, replace(minimal_yaml, "pki/roots.pem", "pki/roots-dir"));
  CHECK(only_problem_at(r, "trust.roots").message == "not a regular file: " + dir.abs("pki/roots-dir"));
}

TEST_CASE("the checker's verdict is reported at the key, for each kind of file") {
  const config_dir dir;
  fake_checker checker;
  checker.refuse["roots.pem"] = "no certificate found in PEM data";
  const auto r = load(dir, minimal_yaml, &checker);
  CHECK(format(only_problem_at(r, "trust.roots")) == "cba.yaml:8:10: trust.roots: no certificate found in PEM data");
  CHECK(r.problems.size() == 1);
  using call = std::pair<file_kind, std::string>;
  CHECK_THAT(checker.calls, Catch::UnorderedEquals(std::vector<call>{
                                {file_kind::certificate_chain, dir.abs("tls/server-chain.pem")},
                                {file_kind::private_key, dir.abs("tls/server.key")},
                                {file_kind::ca_bundle, dir.abs("pki/roots.pem")},
                            }));
}

TEST_CASE("a YAML syntax error is one problem with its position") {
  const config_dir dir;
  const auto r = load(dir, "listeners: [1,\ntrust: 2\n");
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].file == "cba.yaml");
  CHECK(r.problems[0].line == 3);
  CHECK(r.problems[0].column == 1);
  CHECK_THAT(r.problems[0].message, Catch::StartsWith("YAML syntax error: "));
  const auto indent = load(dir, "trust:\n  roots: a\n roots: b\n");
  REQUIRE(indent.problems.size() == 1);
  CHECK(indent.problems[0].line == 3);
}

TEST_CASE("an empty file or a non-mapping document is one problem") {
  const config_dir dir;
  const auto empty = load(dir, "");
  REQUIRE(empty.problems.size() == 1);
  CHECK_THAT(empty.problems[0].message, Catch::StartsWith("the file is empty"));
  const auto list = load(dir, "- a\n");
  REQUIRE(list.problems.size() == 1);
  CHECK(format(list.problems[0]) == "cba.yaml:1:1: expected a mapping of settings, got a list");
}

TEST_CASE("a duplicate key is an error at its second occurrence") {
  const config_dir dir;
  const auto r = load(dir, replace(minimal_yaml, "  roots: pki/roots.pem\n", "  roots: pki/roots.pem\n  roots: pki/x.pem\n"));
  CHECK(format(only_problem_at(r, "trust.roots")) ==
        "cba.yaml:9:3: trust.roots: duplicate key 'roots' (first written at line 8)");
}

TEST_CASE("every problem of the file is reported in one pass, in line order") {
  const config_dir dir;
  const std::string yaml =
      "listeners:\n"
      "  - name: edge\n"
      "    address: \"127.0.0.1\"\n"              // 3: no port
      "    tls:\n"
      "      certificate_chain: tls/missing.pem\n"  // 5: no such file
      "      private_key: tls/server.key\n"
      "      client_certificate: sometimes\n"     // 7: bad enum
      "trust:\n"
      "  roots: pki/roots.pem\n"
      "  required_ekus: [client_auth, email]\n"   // 10: bad EKU
      "directory:\n"
      "  type: file\n"
      "  file: {path: users.yaml}\n"
      "  certificate_mapping: upn\n"
      "upstreams:\n"
      "  - name: app\n"
      "    url: https://app.example.test/owa\n"   // 17: path
      "routes:\n"
      "  - path_prefix: owa\n"                    // 19: no leading /
      "    upstream: ap\n"                        // 20: unknown upstream
      "log: {level: verbose}\n";                  // 21: bad enum
  const auto r = load(dir, yaml);
  CHECK_FALSE(r.config);
  std::vector<int> lines;
  for (const auto& p : r.problems) lines.push_back(p.line);
  INFO(all_problems(r));
  CHECK(lines == std::vector<int>{3, 5, 7, 10, 17, 19, 20, 21});
  CHECK(only_problem_at(r, "trust.required_ekus[1]").column == 32);
  CHECK(only_problem_at(r, "routes[0].upstream").message == "no upstream is named 'ap'; upstreams are: app");
}

TEST_CASE("load_file reports an unreadable config file and names files as given") {
  const config_dir dir;
  const auto missing = load_file(dir.abs("nope.yaml"), nullptr);
  REQUIRE(missing.problems.size() == 1);
  CHECK(format(missing.problems[0]) == dir.abs("nope.yaml") + ": no such file: " + dir.abs("nope.yaml"));

  dir.write("cba.yaml", minimal_yaml + "log: {level: loud}\n");
  const auto bad = load_file(dir.abs("cba.yaml"), nullptr);
  REQUIRE(bad.problems.size() == 1);
  CHECK(format(bad.problems[0]) == dir.abs("cba.yaml") +
                                       ":19:14: log.level: expected one of error, warn, info or debug, got \"loud\"");
}
