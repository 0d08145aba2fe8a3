#include "proxy/http/route_table.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using cba::config::route_auth;
using cba::config::route_config;
using cba::http::route_table;

namespace {

route_config route(std::string prefix, route_auth auth = route_auth::headers) {
  route_config r;
  r.path_prefix = std::move(prefix);
  r.upstream = "exchange";
  r.auth = auth;
  return r;
}

route_table exchange_table() {
  return route_table({route("/", route_auth::none), route("/owa", route_auth::kerberos),
                      route("/owa/admin", route_auth::headers), route("/ecp"),
                      route("/Microsoft-Server-ActiveSync"), route("/api/")});
}

}  // namespace

TEST_CASE("longest matching prefix wins, at segment boundaries", "[http][route]") {
  const auto table = exchange_table();
  struct row {
    std::string_view target;
    std::string_view prefix;
  };
  const row rows[] = {
      {"/owa", "/owa"},
      {"/owa/", "/owa"},
      {"/OWA/x?y", "/owa"},
      {"/owa?x", "/owa"},
      {"/Owa/Admin", "/owa/admin"},
      {"/owa/admin/", "/owa/admin"},
      {"/owa/adminx", "/owa"},
      {"/owabc", "/"},
      {"/ow", "/"},
      {"/", "/"},
      {"/anything/else", "/"},
      {"/microsoft-server-activesync?Cmd=Ping&User=bob", "/Microsoft-Server-ActiveSync"},
      {"/MICROSOFT-SERVER-ACTIVESYNC", "/Microsoft-Server-ActiveSync"},
      {"/ecp/?x=/owa", "/ecp"},
      {"/x?/owa/admin", "/"},  // the query never takes part
      {"/api/", "/api/"},
      {"/api/v1", "/api/"},
      {"/api", "/"},  // a prefix ending in '/' needs that '/'
  };
  for (const auto& r : rows) {
    CAPTURE(r.target);
    const auto* matched = table.match(r.target);
    REQUIRE(matched != nullptr);
    CHECK(matched->path_prefix == r.prefix);
  }
}

TEST_CASE("no route without a catch-all", "[http][route]") {
  const route_table table({route("/owa"), route("/ecp")});
  CHECK(table.match("/owabc") == nullptr);
  CHECK(table.match("/") == nullptr);
  CHECK(table.match("*") == nullptr);
  CHECK_FALSE(table.match_index("/other").has_value());
  CHECK(table.match_index("/ECP/x") == 1u);
  CHECK(table.match_index("/owa") == 0u);
  CHECK(route_table({}).match("/") == nullptr);
}

TEST_CASE("the index refers to the configured order, the route is the configured one", "[http][route]") {
  const auto table = exchange_table();
  CHECK(table.match_index("/owa/admin") == 2u);
  CHECK(table.match_index("/zzz") == 0u);
  CHECK(table.match("/owa/x")->auth == route_auth::kerberos);
  CHECK(table.match("/owa/admin")->auth == route_auth::headers);
  CHECK(table.match("/favicon.ico")->auth == route_auth::none);
  CHECK(table.routes().size() == 6);
}

TEST_CASE("equal prefixes: the first configured wins", "[http][route]") {
  const route_table table({route("/owa", route_auth::kerberos), route("/OWA", route_auth::none)});
  CHECK(table.match("/owa")->auth == route_auth::kerberos);
}

TEST_CASE("prefix_matches", "[http][route]") {
  using cba::http::prefix_matches;
  CHECK(prefix_matches("/owa", "/owa"));
  CHECK(prefix_matches("/owa", "/OWA/"));
  CHECK_FALSE(prefix_matches("/owa", "/owabc"));
  CHECK_FALSE(prefix_matches("/owa", "/ow"));
  CHECK(prefix_matches("/", "/x"));
  CHECK_FALSE(prefix_matches("/", "x"));
}
