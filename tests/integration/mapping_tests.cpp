// KB5014754 certificate mapping through the proxy (curl, the test PKI's certificates, the file
// directory): which certificate is admitted under which certificate_mapping, the "mapping" field of the
// access line, and the 403 refusals with their reason codes.

#include "tests/integration/proxy_fixture.hpp"

#include <catch2/catch.hpp>

using namespace cba::test;
using namespace std::chrono_literals;

namespace {

proxy_options mapping(std::string mode) {
  proxy_options o;
  o.certificate_mapping = std::move(mode);
  return o;
}

// An access line of a request with this upn and mapping kind.
bool has_request_line(const proxy_fixture& fx, const std::string& upn, const std::string& kind) {
  return fx.wait_for_log(
      [&](const std::string& line) {
        return json_string_field(line, "type") == "request" && json_string_field(line, "upn") == upn &&
               json_string_field(line, "mapping") == kind;
      },
      5s);
}

}  // namespace

TEST_CASE("strong: a certificate carrying the account's SID is admitted (kind sid)", "[mapping]") {
  const auto client = GENERATE(as<std::string>{}, "alice-sid", "alice-sid-url");
  CAPTURE(client);
  proxy_fixture fx(mapping("strong"));
  auto r = fx.curl(client, "/owa/");
  INFO(r.describe());
  REQUIRE(r.status == 200);
  REQUIRE(fx.upstream().wait_for_requests(1, 5s));
  CHECK(fx.upstream().request(0)->header("X-Remote-User") == "alice");
  CHECK(has_request_line(fx, "alice@example.test", "sid"));
}

TEST_CASE("strong: an account whose altSecurityIdentities holds the certificate's issuer+serial is admitted",
          "[mapping]") {
  proxy_fixture fx(mapping("strong"));
  auto r = fx.curl("strong", "/");
  INFO(r.describe());
  REQUIRE(r.status == 200);
  REQUIRE(fx.upstream().wait_for_requests(1, 5s));
  CHECK(fx.upstream().request(0)->header("X-Remote-User") == "strong");
  CHECK(has_request_line(fx, "strong@example.test", "strong_altsecid:issuer_serial"));
}

TEST_CASE("strong: UPN-only mapping is refused with 403 mapping_weak", "[mapping]") {
  proxy_fixture fx(mapping("strong"));
  auto r = fx.curl("alice", "/");
  INFO(r.describe());
  CHECK(r.status == 403);
  CHECK(r.body.find("reason: mapping_weak") != std::string::npos);
  CHECK(fx.wait_for_reason("mapping_weak", 5s));
  CHECK(has_request_line(fx, "alice@example.test", "upn"));
  CHECK(fx.upstream().progress().requests_started == 0);
}

TEST_CASE("a SID that is not the account's, or a malformed SID extension, is refused in every mode", "[mapping]") {
  auto [client, reason] = GENERATE(table<std::string, std::string>({
      {"alice-wrong-sid", "sid_mismatch"},
      {"bad-sid-ext", "sid_extension_malformed"},
  }));
  const auto mode = GENERATE(as<std::string>{}, "strong", "compatibility", "upn");
  CAPTURE(client, reason, mode);
  proxy_fixture fx(mapping(mode));
  auto r = fx.curl(client, "/");
  INFO(r.describe());
  CHECK(r.status == 403);
  CHECK(r.body.find("reason: " + reason) != std::string::npos);
  CHECK(fx.wait_for_reason(reason, 5s));
  CHECK(fx.upstream().progress().requests_started == 0);
}

TEST_CASE("compatibility: UPN-only mapping is admitted with a warning on every request", "[mapping]") {
  proxy_fixture fx(mapping("compatibility"));
  // Two requests on one connection: each access line carries the warning.
  auto r = fx.curl("alice", "/first", {fx.url("/second")});
  INFO(r.describe());
  REQUIRE(r.status == 200);
  REQUIRE(fx.upstream().wait_for_requests(2, 5s));
  CHECK(fx.wait_for_log(
      [&](const std::string& line) {
        return json_string_field(line, "event") == "weak_certificate_mapping" &&
               json_string_field(line, "upn") == "alice@example.test" && json_string_field(line, "mapping") == "upn";
      },
      5s));
  // Each request's own access line carries the warning (lines trail responses: wait for each).
  for (const char* target : {"/first", "/second"}) {
    CAPTURE(target);
    const bool warned = fx.wait_for_log(
        [&](const std::string& line) {
          return json_string_field(line, "type") == "request" && json_string_field(line, "target") == target &&
                 json_string_field(line, "mapping") == "upn" && json_string_field(line, "mapping_warning");
        },
        10s);
    if (!warned) {
      for (const auto& line : fx.log_lines()) UNSCOPED_INFO(line);
    }
    CHECK(warned);
  }
}

TEST_CASE("compatibility and upn still prefer and report the strong kinds", "[mapping]") {
  const auto mode = GENERATE(as<std::string>{}, "compatibility", "upn");
  CAPTURE(mode);
  proxy_fixture fx(mapping(mode));
  auto sid = fx.curl("alice-sid", "/");
  INFO(sid.describe());
  CHECK(sid.status == 200);
  CHECK(has_request_line(fx, "alice@example.test", "sid"));
  auto strong = fx.curl("strong", "/");
  INFO(strong.describe());
  CHECK(strong.status == 200);
  CHECK(has_request_line(fx, "strong@example.test", "strong_altsecid:issuer_serial"));
  for (const auto& line : fx.log_lines()) CHECK_FALSE(json_string_field(line, "mapping_warning"));
}

TEST_CASE("upn: UPN-only mapping is admitted silently", "[mapping]") {
  proxy_fixture fx;  // the fixture's default is upn
  auto r = fx.curl("alice", "/");
  INFO(r.describe());
  CHECK(r.status == 200);
  CHECK(has_request_line(fx, "alice@example.test", "upn"));
  for (const auto& line : fx.log_lines()) {
    CHECK_FALSE(json_string_field(line, "mapping_warning"));
    CHECK(json_string_field(line, "event") != "weak_certificate_mapping");
  }
}
