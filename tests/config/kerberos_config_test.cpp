// The kerberos section and auth: kerberos routes: parsed, cross-checked, files read.
#include "config_fixture.hpp"

using namespace cba::config;
using namespace cba::config::test;
using namespace std::chrono_literals;

namespace {

const std::string kerberos_route =
    "    auth: kerberos\n"  // 19
    "    service_principal: HTTP/exchange.example.test@EXAMPLE.TEST\n";

const std::string kerberos_section =
    "kerberos:\n"  // 21
    "  principal: svc-cba@EXAMPLE.TEST\n"
    "  keytab: secrets/svc-cba.keytab\n"
    "  krb5_conf: krb5.conf\n"
    "  channel_binding: off\n"
    "  ticket_cache: {max_entries: 5, refresh_before_expiry: 1m}\n";

// The minimal config with the kerberos route and section, `from` replaced by `to` in the section.
std::string with_section_edit(const std::string& from, const std::string& to) {
  return minimal_yaml + kerberos_route + replace(kerberos_section, from, to);
}

// The same with `from` replaced by `to` in the route.
std::string with_route_edit(const std::string& from, const std::string& to) {
  return minimal_yaml + replace(kerberos_route, from, to) + kerberos_section;
}

}  // namespace

TEST_CASE("kerberos routes and the kerberos section load, every key parsed") {
  const config_dir dir;
  const auto r = load(dir, minimal_yaml + kerberos_route + kerberos_section);
  INFO(all_problems(r));
  REQUIRE(r.problems.empty());
  REQUIRE(r.config);
  const auto& c = *r.config;
  REQUIRE(c.kerberos);
  CHECK(c.kerberos->principal == "svc-cba@EXAMPLE.TEST");
  CHECK(c.kerberos->keytab == dir.abs("secrets/svc-cba.keytab"));
  CHECK(c.kerberos->krb5_conf == dir.abs("krb5.conf"));
  CHECK(c.kerberos->channel_binding == channel_binding_mode::off);
  CHECK(c.kerberos->ticket_cache.max_entries == 5);
  CHECK(c.kerberos->ticket_cache.refresh_before_expiry == 1min);
  CHECK(c.routes[0].auth == route_auth::kerberos);
  CHECK(c.routes[0].service_principal == "HTTP/exchange.example.test@EXAMPLE.TEST");
}

TEST_CASE("kerberos defaults: channel_binding auto, cache 100000 entries refreshed 5m before expiry") {
  const config_dir dir;
  const auto r = load(dir, minimal_yaml + kerberos_route +
                               "kerberos: {principal: svc-cba@EXAMPLE.TEST, keytab: secrets/svc-cba.keytab}\n");
  INFO(all_problems(r));
  REQUIRE(r.config);
  CHECK(r.config->kerberos->channel_binding == channel_binding_mode::auto_);
  CHECK(r.config->kerberos->krb5_conf.empty());
  CHECK(r.config->kerberos->ticket_cache.max_entries == 100000);
  CHECK(r.config->kerberos->ticket_cache.refresh_before_expiry == 5min);
}

TEST_CASE("channel_binding takes auto, required and off (also unquoted off)") {
  const config_dir dir;
  for (const auto& [text, mode] : std::vector<std::pair<std::string, channel_binding_mode>>{
           {"auto", channel_binding_mode::auto_},
           {"required", channel_binding_mode::required},
           {"\"off\"", channel_binding_mode::off},
           {"off", channel_binding_mode::off}}) {
    const auto r = load(dir, with_section_edit("channel_binding: off", "channel_binding: " + text));
    INFO(text << ": " << all_problems(r));
    REQUIRE(r.config);
    CHECK(r.config->kerberos->channel_binding == mode);
  }
  const auto bad = load(dir, with_section_edit("channel_binding: off", "channel_binding: sometimes"));
  const auto p = only_problem_at(bad, "kerberos.channel_binding");
  CHECK(p.line == 25);
  CHECK_THAT(p.message, Catch::Contains("auto, required or off"));
}

TEST_CASE("kerberos.principal needs a realm: it also names the delegated accounts") {
  const config_dir dir;
  for (const std::string bad : {"svc-cba", "svc-cba@", "@EXAMPLE.TEST", "a@b@C"}) {
    const auto r = load(dir, with_section_edit("principal: svc-cba@EXAMPLE.TEST", "principal: \"" + bad + "\""));
    INFO(bad);
    const auto p = only_problem_at(r, "kerberos.principal");
    CHECK(p.line == 22);
    CHECK_THAT(p.message, Catch::StartsWith("expected name@REALM"));
  }
}

TEST_CASE("service_principal must be service/host[@REALM]") {
  const config_dir dir;
  for (const std::string good : {"HTTP/exchange.example.test", "HTTP/exchange.example.test@EXAMPLE.TEST"}) {
    const auto r = load(dir, with_route_edit("HTTP/exchange.example.test@EXAMPLE.TEST", good));
    INFO(good << ": " << all_problems(r));
    CHECK(r.problems.empty());
  }
  for (const std::string bad : {"exchange.example.test", "HTTP/", "/exchange", "HTTP@exchange.example.test",
                                "HTTP/exchange@", "HTTP/@EXAMPLE.TEST"}) {
    const auto r = load(dir, with_route_edit("HTTP/exchange.example.test@EXAMPLE.TEST", "\"" + bad + "\""));
    INFO(bad);
    const auto p = only_problem_at(r, "routes[0].service_principal");
    CHECK(p.line == 20);
    CHECK_THAT(p.message, Catch::StartsWith("expected service/host[@REALM]"));
  }
}

TEST_CASE("a kerberos keytab that does not exist is reported at its key") {
  const config_dir dir;
  const auto r = load(dir, with_section_edit("secrets/svc-cba.keytab", "secrets/missing.keytab"));
  const auto p = only_problem_at(r, "kerberos.keytab");
  CHECK(p.line == 23);
  CHECK_THAT(p.message, Catch::StartsWith("no such file: "));
}

TEST_CASE("a kerberos section without kerberos routes is allowed and its keys are still checked") {
  const config_dir dir;
  const auto r = load(dir, minimal_yaml + kerberos_section);
  INFO(all_problems(r));
  CHECK(r.problems.empty());
  const auto missing = load(dir, minimal_yaml + "kerberos: {keytab: secrets/svc-cba.keytab}\n");
  CHECK_FALSE(missing.problems.empty());
}
