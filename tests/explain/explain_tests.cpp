// `cba-proxy explain --config FILE CERT.pem`, the built binary, for the test PKI's certificates with
// the file directory: each refusal reason on its own line at the step that decides it, the verdict
// line, and the exit status (0 admitted, 1 refused, 2 usage or config error).
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

using namespace cba::test;
using namespace std::chrono_literals;

namespace {

std::string config_for(const test_pki& pki, const std::string& mapping, const std::string& trust_extra = "") {
  const auto p = [&](const char* name) { return "\"" + pki.file(name) + "\""; };
  return "listeners:\n"
         "  - name: edge\n"
         "    address: \"127.0.0.1:0\"\n"
         "    tls: {certificate_chain: " + p("server-chain.pem") + ", private_key: " + p("server.key") + "}\n"
         "trust:\n"
         "  roots: " + p("roots.pem") + "\n"
         "  intermediates: " + p("intermediates.pem") + "\n"
         "  ntauth: " + p("ntauth.pem") + "\n" + trust_extra +
         "directory:\n"
         "  type: file\n"
         "  file: {path: " + p("users.yaml") + "}\n"
         "  certificate_mapping: " + mapping + "\n"
         "upstreams:\n"
         "  - {name: app, url: \"http://127.0.0.1:9\"}\n"
         "routes:\n"
         "  - {path_prefix: /, upstream: app, auth: headers}\n";
}

struct explained {
  process_result process;
  std::vector<std::string> lines;
  // The line of step `name` ("ok   chain      ..."), or "" when absent.
  std::string step(const std::string& name) const {
    for (const auto& line : lines) {
      if (line.size() > 5 && line.compare(5, name.size() + 1, name + " ") == 0) return line;
    }
    return {};
  }
  std::string verdict() const {
    for (const auto& line : lines)
      if (line.rfind("verdict ", 0) == 0) return line;
    return {};
  }
};

explained explain(const std::string& cert, const std::string& mapping = "upn") {
  const auto& pki = test_pki::get();
  static const temp_dir dir("cba-explain");
  const auto config = dir.write("cba-proxy-" + mapping + ".yaml", config_for(pki, mapping));
  explained e;
  e.process = run_process({CBA_PROXY_BINARY, "explain", "--config", config, pki.cert(cert)}, 60s);
  std::istringstream in(e.process.out);
  for (std::string line; std::getline(in, line);) e.lines.push_back(line);
  return e;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

TEST_CASE("explain: alice is admitted, every step ok, exit 0") {
  const auto e = explain("alice");
  INFO(e.process.describe());
  CHECK(e.process.exit_code == 0);
  const std::vector<std::string> order{"chain", "validity", "eku", "ntauth", "revocation",
                                       "upn",   "sid",      "directory", "account", "mapping"};
  REQUIRE(e.lines.size() == order.size() + 2);
  CHECK(starts_with(e.lines[0], "certificate \"CN=Alice\""));
  for (std::size_t i = 0; i < order.size(); ++i) {
    INFO(e.lines[i + 1]);
    CHECK(starts_with(e.lines[i + 1], "ok   " + order[i] + " "));
  }
  CHECK_THAT(e.step("chain"), Catch::Contains("\"CN=Example Issuing CA,DC=example,DC=test\" <- \"CN=Example Root CA,O=Example\"") &&
                                  Catch::Contains("2 CA certificate(s) above the leaf"));
  CHECK_THAT(e.step("eku"), Catch::Contains("clientAuth"));
  CHECK_THAT(e.step("revocation"), Catch::Contains("off"));
  CHECK_THAT(e.step("upn"), Catch::Contains("alice@example.test"));
  CHECK_THAT(e.step("sid"), Catch::Contains("none in the certificate"));
  CHECK_THAT(e.step("directory"), Catch::Contains("account alice") && Catch::Contains("CN=Alice,CN=Users,DC=example,DC=test") &&
                                      Catch::Contains("S-1-5-21-1004336348-1177238915-682003330-1104") &&
                                      Catch::Contains("disabled no"));
  CHECK_THAT(e.step("mapping"), Catch::Contains("upn (weak) under certificate_mapping: upn") &&
                                    Catch::Contains("X509:<I>DC=test,DC=example,CN=Example Issuing CA<SR>"));
  CHECK(e.verdict() == "verdict admitted as alice (S-1-5-21-1004336348-1177238915-682003330-1104)");
}

TEST_CASE("explain: certificate-policy refusals name their step and fail the handshake") {
  struct refusal_case {
    const char* cert;
    const char* step;
    const char* reason;
  };
  const auto c = GENERATE(refusal_case{"expired", "validity", "certificate_expired"},
                          refusal_case{"untrusted", "chain", "chain_untrusted"},
                          refusal_case{"wrong-eku", "eku", "eku_missing"},
                          refusal_case{"rogue", "ntauth", "issuer_not_ntauth"});
  const auto e = explain(c.cert);
  INFO(c.cert << "\n" << e.process.describe());
  CHECK(e.process.exit_code == 1);
  CHECK(starts_with(e.step(c.step), std::string("FAIL ") + c.step));
  CHECK_THAT(e.step(c.step), Catch::Contains(c.reason));
  CHECK(starts_with(e.step("directory"), "skip directory"));  // nothing after a refusal runs
  CHECK(e.verdict() == std::string("verdict refused: ") + c.reason +
                           " (the TLS handshake fails: the client gets no HTTP response)");
}

TEST_CASE("explain: identity refusals name their step and the HTTP status") {
  struct refusal_case {
    const char* cert;
    const char* step;
    const char* reason;
    const char* mapping;
  };
  const auto c = GENERATE(refusal_case{"no-upn", "upn", "upn_missing", "upn"},
                          refusal_case{"bob", "account", "account_disabled", "upn"},
                          refusal_case{"unknown", "directory", "account_unknown", "upn"},
                          refusal_case{"alice-wrong-sid", "mapping", "sid_mismatch", "upn"},
                          refusal_case{"alice", "mapping", "mapping_weak", "strong"});
  const auto e = explain(c.cert, c.mapping);
  INFO(c.cert << "\n" << e.process.describe());
  CHECK(e.process.exit_code == 1);
  CHECK(starts_with(e.step("ntauth"), "ok   ntauth"));
  CHECK(starts_with(e.step(c.step), std::string("FAIL ") + c.step));
  CHECK_THAT(e.step(c.step), Catch::Contains(c.reason));
  CHECK(e.verdict() == std::string("verdict refused: ") + c.reason + " (HTTP 403)");
}

TEST_CASE("explain: the SID mismatch shows both SIDs, strong mapping admits alice's SID certificate") {
  const auto mismatch = explain("alice-wrong-sid", "strong");
  CHECK(mismatch.process.exit_code == 1);
  CHECK_THAT(mismatch.step("sid"), Catch::Contains("S-1-5-21-1004336348-1177238915-682003330-1199 (extension)"));
  CHECK_THAT(mismatch.step("mapping"), Catch::Contains("S-1-5-21-1004336348-1177238915-682003330-1104"));

  const auto strong = explain("alice-sid", "strong");
  INFO(strong.process.describe());
  CHECK(strong.process.exit_code == 0);
  CHECK_THAT(strong.step("mapping"), Catch::StartsWith("ok   mapping    sid (strong) under certificate_mapping: strong"));

  const auto altsecid = explain("strong", "strong");
  INFO(altsecid.process.describe());
  CHECK(altsecid.process.exit_code == 0);
  CHECK_THAT(altsecid.step("mapping"), Catch::Contains("strong_altsecid:issuer_serial (strong)") && Catch::Contains("matched \"X509:<I>"));
}

TEST_CASE("explain: revocation runs the configured checker and reports its answer") {
  const auto& pki = test_pki::get();
  const temp_dir dir("cba-explain-revocation");
  // OCSP only, and the test certificates name no responder: every answer is "unknown".
  const auto ocsp = "  revocation: {mode: MODE, ocsp: {enabled: true, timeout: 1s}}\n";
  const auto config_with = [&](const std::string& mode) {
    std::string trust = ocsp;
    trust.replace(trust.find("MODE"), 4, mode);
    return dir.write(mode + ".yaml", config_for(pki, "upn", trust));
  };
  const auto line_of = [](const process_result& r, const std::string& prefix) {
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);)
      if (line.rfind(prefix, 0) == 0) return line;
    return std::string();
  };
  const auto hard = run_process({CBA_PROXY_BINARY, "explain", "--config", config_with("hard"), pki.cert("alice")}, 60s);
  INFO(hard.describe());
  CHECK(hard.exit_code == 1);
  CHECK_THAT(line_of(hard, "FAIL revocation "), Catch::Contains("revocation_unknown") && Catch::Contains("ocsp"));
  CHECK(line_of(hard, "verdict ") == "verdict refused: revocation_unknown (HTTP 403)");

  const auto soft = run_process({CBA_PROXY_BINARY, "explain", "--config", config_with("soft"), pki.cert("alice")}, 60s);
  INFO(soft.describe());
  CHECK(soft.exit_code == 0);
  CHECK_THAT(line_of(soft, "ok   revocation "), Catch::Contains("unknown") && Catch::Contains("mode: soft"));
}

TEST_CASE("explain: usage and config errors exit 2") {
  const auto& pki = test_pki::get();
  const auto usage = run_process({CBA_PROXY_BINARY, "explain", "--config"}, 30s);
  CHECK(usage.exit_code == 2);
  CHECK_THAT(usage.err, Catch::Contains("usage: cba-proxy explain"));

  const temp_dir dir("cba-explain-bad");
  const auto bad = dir.write("bad.yaml", "listeners: []\nbogus: 1\n");
  const auto config_error = run_process({CBA_PROXY_BINARY, "explain", "--config", bad, pki.cert("alice")}, 30s);
  CHECK(config_error.exit_code == 2);
  CHECK_THAT(config_error.err, Catch::Contains("bad.yaml:"));

  const auto good = dir.write("good.yaml", config_for(pki, "upn"));
  const auto missing = run_process({CBA_PROXY_BINARY, "explain", "--config", good, dir.file("nope.pem")}, 30s);
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("nope.pem"));
}
