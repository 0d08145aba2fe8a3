// The config keys of this feature: trust.recheck_interval (default 5m, at least 1s, errors at
// FILE:LINE:COL) and listeners[].tls.session_tickets.key_files (accepted now).
#include "config/load.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

#include <catch2/catch.hpp>

using namespace cba;
using namespace std::chrono_literals;

namespace {

std::string yaml(const std::string& tls_extra, const std::string& trust_extra) {
  const auto& pki = test::test_pki::get();
  const auto p = [&](const char* name) { return "\"" + pki.file(name) + "\""; };
  return "listeners:\n"
         "  - name: edge\n"
         "    address: \"127.0.0.1:0\"\n"
         "    tls:\n"
         "      certificate_chain: " + p("server-chain.pem") + "\n"
         "      private_key: " + p("server.key") + "\n" + tls_extra +
         "trust:\n"
         "  roots: " + p("roots.pem") + "\n" + trust_extra +
         "directory:\n"
         "  type: file\n"
         "  file: {path: " + p("users.yaml") + "}\n"
         "upstreams:\n"
         "  - {name: app, url: \"http://127.0.0.1:9\"}\n"
         "routes:\n"
         "  - {path_prefix: /, upstream: app, auth: headers}\n";
}

config::load_result load(const std::string& text) { return config::load_text(text, "cba.yaml", "/", nullptr); }

}  // namespace

TEST_CASE("config: trust.recheck_interval defaults to 5m, parses durations, refuses under 1s", "[config]") {
  const auto defaults = load(yaml("", ""));
  REQUIRE(defaults.config);
  CHECK(defaults.config->trust.recheck_interval == 5min);

  const auto set = load(yaml("", "  recheck_interval: 30s\n"));
  REQUIRE(set.config);
  CHECK(set.config->trust.recheck_interval == 30s);

  const auto too_small = load(yaml("", "  recheck_interval: 500ms\n"));
  CHECK_FALSE(too_small.config);
  REQUIRE(too_small.problems.size() == 1);
  const auto& problem = too_small.problems.front();
  CHECK(problem.key_path == "trust.recheck_interval");
  CHECK(problem.line == 9);
  CHECK(problem.column == 21);
  CHECK_THAT(config::format(problem), Catch::StartsWith("cba.yaml:9:21: trust.recheck_interval: must be at least 1000ms"));

  const auto garbage = load(yaml("", "  recheck_interval: soon\n"));
  CHECK_FALSE(garbage.config);
  REQUIRE(garbage.problems.size() == 1);
  CHECK(garbage.problems.front().key_path == "trust.recheck_interval");
}

TEST_CASE("config: session_tickets.key_files is accepted", "[config]") {
  const test::temp_dir dir("cba-ticket-config");
  const auto fresh = dir.write("ticket-new.key", std::string(80, 'n'));
  const auto old = dir.write("ticket-old.key", std::string(80, 'o'));
  const auto r = load(yaml("      session_tickets: {key_files: [\"" + fresh + "\", \"" + old + "\"]}\n", ""));
  INFO((r.problems.empty() ? std::string() : config::format(r.problems.front())));
  REQUIRE(r.config);
  CHECK(r.config->listeners.at(0).tls.session_tickets.key_files == std::vector<std::string>{fresh, old});
}
