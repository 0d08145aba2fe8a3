#include "proxy/tls/certificate_policy.hpp"

#include "proxy/tls/x509_facts.hpp"
#include "tests/tls/test_certs.hpp"

#include <boost/asio/error.hpp>

#include <catch2/catch.hpp>

using namespace cba;
using namespace cba::tls;
using namespace cba::tls::testing;

namespace {

cert_spec issuing_spec(const std::string& cn) {
  cert_spec spec = ca_spec(cn);
  spec.path_length = 0;
  return spec;
}

// A small PKI written to a temp dir: root -> issuing (ntauth) and root -> rogue (not ntauth); an
// unrelated root.
struct pki {
  temp_dir dir;
  test_cert root = make_cert(ca_spec("Policy Root"));
  test_cert issuing = make_cert(issuing_spec("Policy Issuing CA"), &root);
  test_cert rogue = make_cert(issuing_spec("Policy Rogue CA"), &root);
  test_cert other_root = make_cert(ca_spec("Other Root"));
  config::trust_config trust;

  pki() {
    write_file(dir.file("roots.pem"), to_pem(root.get()));
    write_file(dir.file("intermediates.pem"), to_pem(issuing.get()) + to_pem(rogue.get()));
    write_file(dir.file("ntauth.pem"), to_pem(issuing.get()));
    trust.roots = dir.file("roots.pem");
    trust.intermediates = dir.file("intermediates.pem");
    trust.ntauth = dir.file("ntauth.pem");
  }

  test_cert client(cert_spec spec, const test_cert* by = nullptr) const {
    return make_cert(spec, by != nullptr ? by : &issuing);
  }
  peer_verdict verify(const test_cert& leaf, std::vector<X509*> chain = {}) const {
    return certificate_policy::create(trust)->verify(leaf.get(), chain);
  }
};

cert_spec alice() { return client_spec("Alice", "alice@example.test"); }

}  // namespace

TEST_CASE("policy accepts a good client certificate", "[tls][policy]") {
  const pki p;
  const auto verdict = p.verify(p.client(alice()));
  CHECK(verdict.reason == errc::ok);
  CHECK(verdict.certificate_presented);
  CHECK(verdict.detail.empty());
}

TEST_CASE("policy builds chains from presented or configured intermediates", "[tls][policy]") {
  pki p;
  const auto leaf = p.client(alice());
  p.trust.intermediates.clear();
  CHECK(p.verify(leaf, {p.issuing.get()}).reason == errc::ok);
  const auto missing = p.verify(leaf);
  CHECK(missing.reason == errc::chain_untrusted);
  CHECK_THAT(missing.detail, Catch::Contains("CN=Alice"));
  CHECK_THAT(missing.detail, Catch::Contains("unable to get local issuer certificate"));
}

TEST_CASE("policy refuses a chain to an unknown root", "[tls][policy]") {
  const pki p;
  const auto other_issuing = make_cert(issuing_spec("Other Issuing"), &p.other_root);
  const auto leaf = p.client(alice(), &other_issuing);
  CHECK(p.verify(leaf, {other_issuing.get()}).reason == errc::chain_untrusted);
  CHECK(p.verify(leaf, {other_issuing.get(), p.other_root.get()}).reason == errc::chain_untrusted);

  const auto self_signed = make_cert(alice());
  CHECK(p.verify(self_signed).reason == errc::chain_untrusted);
}

TEST_CASE("policy enforces validity", "[tls][policy]") {
  const pki p;
  cert_spec expired = alice();
  expired.not_before = -10 * 86400;
  expired.not_after = -86400;
  const auto e = p.verify(p.client(expired));
  CHECK(e.reason == errc::certificate_expired);
  CHECK_THAT(e.detail, Catch::Contains("certificate has expired"));

  cert_spec future = alice();
  future.not_before = 86400;
  future.not_after = 2 * 86400;
  CHECK(p.verify(p.client(future)).reason == errc::certificate_not_yet_valid);

  // The same good certificate, judged at a time after its notAfter.
  const auto good = p.client(alice());
  const auto policy = certificate_policy::create(p.trust);
  CHECK(policy->verify(good.get(), {}, std::time(nullptr) + 3 * 86400).reason ==
        errc::certificate_expired);
}

TEST_CASE("policy requires one of the configured EKUs", "[tls][policy]") {
  pki p;
  cert_spec none = alice();
  none.ekus.reset();
  const auto no_eku = p.verify(p.client(none));
  CHECK(no_eku.reason == errc::eku_missing);
  CHECK_THAT(no_eku.detail, Catch::Contains("no Extended Key Usage"));

  cert_spec server = alice();
  server.ekus = std::vector<std::string>{"serverAuth"};
  CHECK(p.verify(p.client(server)).reason == errc::eku_missing);

  cert_spec smartcard = alice();
  smartcard.ekus = std::vector<std::string>{"1.3.6.1.4.1.311.20.2.2"};
  CHECK(p.verify(p.client(smartcard)).reason == errc::eku_missing);  // default: client_auth only

  SECTION("smartcard_logon by name") {
    p.trust.required_ekus = {"smartcard_logon"};
    CHECK(p.verify(p.client(smartcard)).reason == errc::ok);
    CHECK(p.verify(p.client(alice())).reason == errc::eku_missing);
  }
  SECTION("any one of several, dotted OIDs") {
    p.trust.required_ekus = {"1.3.6.1.5.5.7.3.2", "1.3.6.1.4.1.311.20.2.2"};
    CHECK(p.verify(p.client(smartcard)).reason == errc::ok);
    CHECK(p.verify(p.client(alice())).reason == errc::ok);
    CHECK(p.verify(p.client(server)).reason == errc::eku_missing);
  }
  SECTION("a private OID") {
    p.trust.required_ekus = {"1.2.3.4.5"};
    cert_spec custom = alice();
    custom.ekus = std::vector<std::string>{"serverAuth", "1.2.3.4.5"};
    CHECK(p.verify(p.client(custom)).reason == errc::ok);
  }
  SECTION("OpenSSL's ssl_client purpose does not interfere") {
    // EKUs without clientAuth would fail the "ssl_client" purpose; our rule alone decides.
    p.trust.required_ekus = {"smartcard_logon"};
    cert_spec both = alice();
    both.ekus = std::vector<std::string>{"serverAuth", "1.3.6.1.4.1.311.20.2.2"};
    CHECK(p.verify(p.client(both)).reason == errc::ok);
  }
}

TEST_CASE("policy enforces NTAuth when configured", "[tls][policy]") {
  pki p;
  const auto rogue_leaf = p.client(alice(), &p.rogue);
  const auto refused = p.verify(rogue_leaf);
  CHECK(refused.reason == errc::issuer_not_ntauth);
  CHECK_THAT(refused.detail, Catch::Contains("Policy Rogue CA"));
  CHECK(p.verify(p.client(alice())).reason == errc::ok);

  SECTION("an ntauth CA with the same name but another key is not the listed CA") {
    const auto twin = make_cert(issuing_spec("Policy Issuing CA"), &p.root);
    write_file(p.dir.file("ntauth.pem"), to_pem(twin.get()));
    CHECK(p.verify(p.client(alice())).reason == errc::issuer_not_ntauth);
  }
  SECTION("without trust.ntauth any verified issuer may log on") {
    p.trust.ntauth.clear();
    CHECK(p.verify(rogue_leaf).reason == errc::ok);
  }
}

TEST_CASE("policy enforces max_depth (CA certificates above the leaf)", "[tls][policy]") {
  pki p;
  p.trust.ntauth.clear();
  p.trust.intermediates.clear();
  const auto ca1 = make_cert(ca_spec("Depth CA 1"), &p.root);
  const auto ca2 = make_cert(ca_spec("Depth CA 2"), &ca1);
  const auto ca3 = make_cert(ca_spec("Depth CA 3"), &ca2);
  const auto leaf = make_cert(alice(), &ca3);  // 4 CA certificates above it
  const std::vector<X509*> chain{ca3.get(), ca2.get(), ca1.get()};

  p.trust.max_depth = 4;
  CHECK(p.verify(leaf, chain).reason == errc::ok);
  p.trust.max_depth = 3;  // OpenSSL's own limit still allows it: our count decides
  const auto refused = p.verify(leaf, chain);
  CHECK(refused.reason == errc::chain_too_deep);
  CHECK_THAT(refused.detail, Catch::Contains("4 CA certificates"));
  p.trust.max_depth = 2;  // OpenSSL stops first
  CHECK(p.verify(leaf, chain).reason == errc::chain_too_deep);
  p.trust.max_depth = 1;
  CHECK(p.verify(p.client(alice()), {p.issuing.get()}).reason == errc::chain_too_deep);
}

TEST_CASE("evaluate_chain is pure policy over a given chain", "[tls][policy]") {
  const pki p;
  const auto policy = certificate_policy::create(p.trust);
  const auto leaf = p.client(alice());
  const auto rogue_leaf = p.client(alice(), &p.rogue);
  const auto chain_of = [](std::vector<X509*> certs) {
    x509_stack_view_ptr stack{sk_X509_new_null()};
    for (X509* c : certs) sk_X509_push(stack.get(), c);
    return stack;
  };
  CHECK(policy->evaluate_chain(chain_of({leaf.get(), p.issuing.get(), p.root.get()}).get()).reason ==
        errc::ok);
  CHECK(policy->evaluate_chain(chain_of({rogue_leaf.get(), p.rogue.get(), p.root.get()}).get()).reason ==
        errc::issuer_not_ntauth);
  CHECK(policy->evaluate_chain(chain_of({leaf.get()}).get()).reason == errc::issuer_not_ntauth);
  CHECK(policy->evaluate_chain(chain_of({}).get()).reason == errc::chain_untrusted);
  CHECK(policy->evaluate_chain(nullptr).reason == errc::chain_untrusted);
}

TEST_CASE("certificate_policy::create explains bad trust configuration", "[tls][policy]") {
  pki p;
  const auto fails_with = [&](const std::string& text) {
    CHECK_THROWS_WITH(certificate_policy::create(p.trust), Catch::Contains(text));
  };
  SECTION("roots missing") {
    p.trust.roots.clear();
    fails_with("trust.roots is required");
  }
  SECTION("roots unreadable") {
    p.trust.roots = p.dir.file("nope.pem");
    fails_with("trust.roots (" + p.dir.file("nope.pem") + "): cannot open file");
  }
  SECTION("roots without certificates") {
    write_file(p.dir.file("roots.pem"), "hello\n");
    fails_with("no certificate found in PEM data");
  }
  SECTION("bad ntauth") {
    write_file(p.dir.file("ntauth.pem"), "");
    fails_with("trust.ntauth");
  }
  SECTION("unknown EKU") {
    p.trust.required_ekus = {"client-auth"};
    fails_with("\"client-auth\" is neither client_auth, smartcard_logon nor a dotted OID");
  }
  SECTION("no EKU") {
    p.trust.required_ekus.clear();
    fails_with("trust.required_ekus must name at least one EKU");
  }
  SECTION("advertise ntauth without ntauth") {
    p.trust.ntauth.clear();
    p.trust.advertise = config::advertise_mode::ntauth;
    fails_with("trust.advertise");
  }
}

TEST_CASE("advertised CA names follow trust.advertise", "[tls][policy]") {
  pki p;
  const auto subjects = [&] {
    std::vector<std::string> out;
    const auto policy = certificate_policy::create(p.trust);
    for (const auto& c : policy->advertised()) out.push_back(subject_string(c.get()));
    return out;
  };
  CHECK(subjects() == std::vector<std::string>{"CN=Policy Issuing CA,O=Test"});  // default with ntauth
  p.trust.advertise = config::advertise_mode::roots;
  CHECK(subjects() == std::vector<std::string>{"CN=Policy Root,O=Test"});
  p.trust.advertise = config::advertise_mode::none;
  CHECK(subjects().empty());
  p.trust.advertise.reset();
  p.trust.ntauth.clear();
  CHECK(subjects() == std::vector<std::string>{"CN=Policy Root,O=Test"});  // default without ntauth
}

TEST_CASE("handshake_failure_reason classifies failed handshakes", "[tls][policy]") {
  const peer_verdict refused{errc::eku_missing, "x", true};
  const boost::system::error_code generic = boost::asio::error::connection_reset;
  CHECK(certificate_policy::handshake_failure_reason(refused, generic) == errc::eku_missing);
  const peer_verdict none{errc::no_client_certificate, "x", false};
  CHECK(certificate_policy::handshake_failure_reason(none, generic) == errc::handshake_failed);
}
