// The TLS front end: client certificates refused in the handshake never let a byte reach the
// upstream; CA names advertised; old protocol versions and renegotiation refused.

#include "tests/integration/proxy_fixture.hpp"

#include <catch2/catch.hpp>

#include <utility>

using namespace cba::test;
using namespace std::chrono_literals;

namespace {

void require_nothing_reached_upstream(proxy_fixture& fx) {
  auto p = fx.upstream().progress();
  CHECK(p.connections == 0);
  CHECK(p.raw_bytes == 0);
}

std::vector<std::string> s_client_args(const proxy_fixture& fx, std::string_view client) {
  const auto& pki = fx.pki();
  std::vector<std::string> argv{"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(fx.endpoint().port()),
                                "-servername", "localhost", "-CAfile", pki.file("roots.pem")};
  if (!client.empty()) argv.insert(argv.end(), {"-cert", pki.cert(client), "-key", pki.key(client)});
  return argv;
}

// The lines printed under "Acceptable client certificate CA names".
std::vector<std::string> advertised_ca_names(const std::string& s_client_output) {
  std::vector<std::string> names;
  auto at = s_client_output.find("Acceptable client certificate CA names");
  if (at == std::string::npos) return names;
  std::size_t pos = s_client_output.find('\n', at);
  while (pos != std::string::npos) {
    auto next = s_client_output.find('\n', pos + 1);
    std::string line = s_client_output.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
    if (line.rfind("Requested", 0) == 0 || line.rfind("Client Certificate Types", 0) == 0 || line.rfind("---", 0) == 0 ||
        line.rfind("Peer", 0) == 0 || line.empty())
      break;
    names.push_back(line);
    pos = next;
  }
  return names;
}

}  // namespace

TEST_CASE("no client certificate: the handshake fails and the upstream sees nothing", "[handshake]") {
  proxy_fixture fx;
  auto r = fx.curl("", "/");
  INFO(r.describe());
  CHECK(r.status == 0);
  CHECK(r.process.exit_code != 0);
  CHECK(fx.wait_for_reason("no_client_certificate", 5s));
  require_nothing_reached_upstream(fx);
}

TEST_CASE("certificates refused in the handshake never reach the upstream", "[handshake]") {
  auto [client, reason] = GENERATE(table<std::string, std::string>({
      {"untrusted", "chain_untrusted"},
      {"expired", "certificate_expired"},
      {"wrong-eku", "eku_missing"},
      {"no-eku", "eku_missing"},
      {"rogue", "issuer_not_ntauth"},
      {"smartcard", "eku_missing"},  // smartcard_logon only, client_auth required by default
  }));
  CAPTURE(client, reason);
  proxy_fixture fx;
  auto r = fx.curl(client, "/");
  INFO(r.describe());
  CHECK(r.status == 0);
  CHECK(r.process.exit_code != 0);
  CHECK(fx.wait_for_reason(reason, 5s));
  require_nothing_reached_upstream(fx);
}

TEST_CASE("a smartcard-logon certificate passes when required_ekus lists smartcard_logon", "[handshake]") {
  proxy_options o;
  o.required_ekus = "[smartcard_logon]";
  proxy_fixture fx(o);
  auto r = fx.curl("smartcard", "/sc");
  INFO(r.describe());
  CHECK(r.status == 200);
  REQUIRE(fx.upstream().wait_for_requests(1, 5s));
  CHECK(fx.upstream().request(0)->header("X-Remote-User") == "alice");
}

TEST_CASE("the rogue issuer passes without ntauth (its chain is valid)", "[handshake]") {
  proxy_options o;
  o.ntauth = false;
  proxy_fixture fx(o);
  auto r = fx.curl("rogue", "/");
  INFO(r.describe());
  CHECK(r.status == 200);
}

TEST_CASE("s_client: CertificateRequest names the ntauth CAs only", "[handshake][openssl]") {
  proxy_fixture fx;
  auto r = run_process(s_client_args(fx, "alice"), 20s);
  INFO(r.describe());
  auto names = advertised_ca_names(r.out);
  REQUIRE(names.size() == 1);
  CHECK(names[0].find("Example Issuing CA") != std::string::npos);
  CHECK(r.out.find("Verify return code: 0 (ok)") != std::string::npos);
}

TEST_CASE("s_client: TLS 1.1 is refused by the server", "[handshake][openssl]") {
  proxy_fixture fx;
  auto argv = s_client_args(fx, "alice");
  // SECLEVEL=0 so that the client is willing to offer TLS 1.1: the refusal must come from the server.
  argv.insert(argv.end(), {"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"});
  auto r = run_process(argv, 20s);
  INFO(r.describe());
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("alert protocol version") != std::string::npos);
  require_nothing_reached_upstream(fx);
}

TEST_CASE("TLS 1.2 client-initiated renegotiation is refused", "[handshake]") {
  proxy_fixture fx;
  raw_tls_client c;
  auto options = fx.client_options("alice");
  options.tls12_only = true;
  REQUIRE_FALSE(c.connect(fx.endpoint(), options, 10s));
  REQUIRE(c.request_renegotiation());
  // The write runs the renegotiation first; a refusing server answers with a no_renegotiation alert.
  auto ec = c.write("GET /reneg HTTP/1.1\r\nHost: localhost\r\n\r\n", 10s);
  auto r = ec ? std::nullopt : c.read_final_response(10s);
  INFO("write: " << ec.message() << ", read: " << c.last_error().message());
  CHECK_FALSE(r);
  CHECK(fx.upstream().progress().requests_started == 0);
}
