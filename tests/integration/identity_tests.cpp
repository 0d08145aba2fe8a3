// Certificate identity and the directory: who is admitted, which headers the upstream sees, and the
// 403 refusals (never 401) with their reason codes.

#include "tests/integration/proxy_fixture.hpp"

#include <catch2/catch.hpp>

using namespace cba::test;
using namespace std::chrono_literals;

TEST_CASE("alice is admitted and the upstream sees her identity headers", "[identity]") {
  proxy_fixture fx;
  auto r = fx.curl("alice", "/owa/inbox?x=1");
  INFO(r.describe());
  REQUIRE(r.status == 200);
  CHECK(r.body == "upstream ok\n");
  REQUIRE(fx.upstream().wait_for_requests(1, 5s));
  auto req = *fx.upstream().request(0);
  INFO(req.raw_head);
  const auto& pki = fx.pki();
  CHECK(req.method == "GET");
  CHECK(req.target == "/owa/inbox?x=1");
  CHECK(req.header_values("X-Remote-User") == std::vector<std::string>{"alice"});
  CHECK(req.header("X-Client-UPN") == "alice@example.test");
  CHECK(req.header("X-Client-SID") == "S-1-5-21-1004336348-1177238915-682003330-1104");
  CHECK(req.header("X-Cert-SHA256") == cert_sha256_hex(pki.cert("alice")));
  CHECK(req.header("X-Cert-Serial") == cert_serial_hex(pki.cert("alice")));
  CHECK(req.header("X-Cert-RFC9440") == ":" + cert_der_base64(pki.cert("alice")) + ":");
  CHECK(req.header("Host") == "localhost:" + std::to_string(fx.endpoint().port()));
  CHECK(req.header_values("X-Forwarded-For") == std::vector<std::string>{"127.0.0.1"});
  CHECK(req.header("X-Forwarded-Proto") == "https");

  // One access line names the user and the account.
  CHECK(fx.wait_for_log(
      [](const std::string& line) {
        return json_string_field(line, "type") == "request" && json_string_field(line, "upn") == "alice@example.test" &&
               json_string_field(line, "account") == "alice";
      },
      5s));
}

TEST_CASE("the RSA variant of alice is admitted too", "[identity]") {
  proxy_fixture fx;
  auto r = fx.curl("rsa-alice", "/");
  INFO(r.describe());
  CHECK(r.status == 200);
}

TEST_CASE("identity refusals are 403 with a reason and reach no upstream", "[identity]") {
  auto [client, reason] = GENERATE(table<std::string, std::string>({
      {"no-upn", "upn_missing"},
      {"two-upns", "upn_ambiguous"},
      {"subject-upn", "upn_missing"},  // the Subject is not a source by default
      {"unknown", "account_unknown"},
      {"bob", "account_disabled"},
  }));
  CAPTURE(client, reason);
  proxy_fixture fx;
  auto r = fx.curl(client, "/");
  INFO(r.describe());
  CHECK(r.status == 403);
  CHECK(r.body.find("reason: " + reason) != std::string::npos);
  CHECK(fx.wait_for_reason(reason, 5s));
  CHECK(fx.upstream().progress().requests_started == 0);
}

TEST_CASE("subject-upn is admitted when upn_sources lists subject_upn", "[identity]") {
  proxy_options o;
  o.upn_sources = "[san_upn, subject_upn]";
  proxy_fixture fx(o);
  auto r = fx.curl("subject-upn", "/");
  INFO(r.describe());
  CHECK(r.status == 200);
  REQUIRE(fx.upstream().wait_for_requests(1, 5s));
  CHECK(fx.upstream().request(0)->header("X-Client-UPN") == "alice@example.test");
}

TEST_CASE("allowed_upn_suffixes refuses other suffixes with 403", "[identity]") {
  proxy_options o;
  o.allowed_upn_suffixes = "[\"@corp.test\"]";
  proxy_fixture fx(o);
  auto r = fx.curl("alice", "/");
  INFO(r.describe());
  CHECK(r.status == 403);
  CHECK(r.body.find("reason: upn_suffix_not_allowed") != std::string::npos);
  CHECK(fx.upstream().progress().requests_started == 0);
}

TEST_CASE("spoofed identity and hop-by-hop headers never reach the upstream", "[identity]") {
  proxy_fixture fx;
  auto client = fx.connect("alice");
  const std::string request =
      "GET /spoof HTTP/1.1\r\n"
      "Host: localhost\r\n"
      "X-Remote-User: mallory\r\n"
      "x-REMOTE-user: mallory2\r\n"
      "X-Client-UPN: mallory@example.test\r\n"
      "Authorization: Basic bWFsbG9yeTpwdw==\r\n"
      "Proxy-Authorization: Basic bWFsbG9yeTpwdw==\r\n"
      "X-Forwarded-For: 203.0.113.9\r\n"
      "X-Forwarded-Proto: http\r\n"
      "X-Forwarded-User: mallory\r\n"
      "Client-Cert: :bWFsbG9yeQ==:\r\n"
      "X-Client-Cert: :bWFsbG9yeQ==:\r\n"
      "X-Cert-RFC9440: :bWFsbG9yeQ==:\r\n"
      "X-Cert-SHA256: 0000\r\n"
      "Connection: keep-alive, X-Secret\r\n"
      "X-Secret: mallory-secret\r\n"
      "X-Harmless: kept\r\n"
      "\r\n";
  REQUIRE_FALSE(client->write(request, 10s));
  auto response = client->read_final_response(15s);
  REQUIRE(response);
  CHECK(response->status == 200);
  REQUIRE(fx.upstream().wait_for_requests(1, 5s));
  auto req = *fx.upstream().request(0);
  INFO(req.raw_head);
  CHECK(req.header_values("X-Remote-User") == std::vector<std::string>{"alice"});
  CHECK(req.header_values("X-Client-UPN") == std::vector<std::string>{"alice@example.test"});
  CHECK(req.header_values("X-Forwarded-For") == std::vector<std::string>{"127.0.0.1"});
  CHECK(req.header_values("X-Forwarded-Proto") == std::vector<std::string>{"https"});
  CHECK(req.header_values("X-Cert-RFC9440") == std::vector<std::string>{":" + cert_der_base64(fx.pki().cert("alice")) + ":"});
  CHECK_FALSE(req.header("Client-Cert"));  // the proxy owns these names and drops client copies
  CHECK_FALSE(req.header("X-Client-Cert"));
  CHECK(req.header_values("X-Cert-SHA256") == std::vector<std::string>{cert_sha256_hex(fx.pki().cert("alice"))});
  CHECK_FALSE(req.header("Authorization"));
  CHECK_FALSE(req.header("Proxy-Authorization"));
  CHECK_FALSE(req.header("X-Forwarded-User"));
  CHECK_FALSE(req.header("X-Secret"));
  CHECK(req.header("X-Harmless") == "kept");
  CHECK(req.raw_head.find("mallory") == std::string::npos);
  CHECK(req.raw_head.find("203.0.113.9") == std::string::npos);
}
