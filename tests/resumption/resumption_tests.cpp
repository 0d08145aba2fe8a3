// TLS session resumption against an in-process cba-proxy: tickets resume and carry the verified
// identity, key files are shared between instances and rotated with SIGHUP, tampered, unknown-key and
// too-old tickets fall back to a full handshake, and resumption never skips the certificate policy.
#include "proxy/tls/pem.hpp"
#include "proxy/tls/resumption_policy.hpp"
#include "proxy/tls/session_ticket_keys.hpp"
#include "tests/resumption/proxy_instance.hpp"
#include "tests/resumption/session_client.hpp"
#include "tests/support/process.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <thread>

using namespace cba;
using namespace cba::test;
using namespace std::chrono_literals;

namespace {

const bool process_set_up = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

struct visit {
  bool connected = false;
  bool resumed = false;
  unsigned status = 0;
  std::string error;
  ssl_session_ptr session;
};

// One connection: handshake (offering `resume`), one GET /, the session to resume next.
visit visit_once(const proxy_instance& proxy, const session_client_options& options, SSL_SESSION* resume = nullptr) {
  session_client client(options);
  visit v;
  v.connected = client.connect(proxy.port(), resume);
  v.error = client.error();
  if (!v.connected) return v;
  v.resumed = client.resumed();
  v.status = client.get("/").status;
  v.session = client.session();
  return v;
}

std::string last_upstream_header(proxy_instance& proxy, const std::string& name) {
  auto requests = proxy.upstream().requests();
  if (requests.empty()) return "(no request)";
  return requests.back().header(name).value_or("(absent)");
}

struct key_dir {
  temp_dir dir{"cba-ticket-keys"};
  std::string make(const std::string& name, const std::string& bytes = random_ticket_key()) const {
    write_key_file(dir.file(name), bytes);
    return dir.file(name);
  }
};

instance_options with_keys(std::vector<std::string> files, bool ntauth = true) {
  instance_options o;
  o.key_files = std::move(files);
  o.ntauth = ntauth;
  return o;
}

instance_options with_recheck(std::string interval) {
  instance_options o;
  o.recheck_interval = std::move(interval);
  return o;
}

bool offerable(const visit& v) { return v.session && SSL_SESSION_is_resumable(v.session.get()) == 1; }

// The proxy's /metrics text (its admin listener).
std::string metrics_text(const proxy_instance& proxy) {
  auto r = run_process({"curl", "-sS", "--noproxy", "*", "--max-time", "10",
                        "http://127.0.0.1:" + std::to_string(proxy.admin_port()) + "/metrics"},
                       20s);
  INFO(r.describe());
  REQUIRE(r.exit_code == 0);
  return r.out;
}

// SIGHUP to this process: every running proxy_instance reloads its ticket keys.
void send_sighup() { REQUIRE(std::raise(SIGHUP) == 0); }

}  // namespace

TEST_CASE("ticket key files: nginx's 80- and 48-byte formats, anything else refused", "[resumption]") {
  std::string error;
  std::string bytes80(80, '\0');
  for (std::size_t i = 0; i < bytes80.size(); ++i) bytes80[i] = static_cast<char>(i);
  auto key = tls::parse_ticket_key(bytes80, &error);
  REQUIRE(key);
  CHECK(key->name[0] == 0);
  CHECK(key->name[15] == 15);
  CHECK(key->hmac_key.size() == 32);
  CHECK(key->hmac_key.front() == 16);  // name[16] hmac[32] aes[32], as nginx reads it
  CHECK(key->aes_key.size() == 32);
  CHECK(key->aes_key.front() == 48);

  auto legacy = tls::parse_ticket_key(bytes80.substr(0, 48), &error);
  REQUIRE(legacy);
  CHECK(legacy->aes_key.size() == 16);
  CHECK(legacy->aes_key.front() == 16);  // name[16] aes[16] hmac[16]
  CHECK(legacy->hmac_key.front() == 32);

  CHECK_FALSE(tls::parse_ticket_key(bytes80.substr(0, 79), &error));
  CHECK_THAT(error, Catch::Contains("80 bytes") && Catch::Contains("has 79") && Catch::Contains("openssl rand 80"));
  CHECK_FALSE(tls::parse_ticket_key("", &error));
}

TEST_CASE("ticket keys: start-up refuses bad files, reload keeps the old keys on a bad file", "[resumption]") {
  key_dir keys;
  const auto a = keys.make("a.key");
  const auto b = keys.make("b.key");
  auto set = tls::session_ticket_keys::create({a, b});
  const auto names = set->key_names();
  REQUIRE(names.size() == 2);

  write_key_file(b, "short");
  const auto problem = set->reload();
  REQUIRE(problem);
  CHECK_THAT(*problem, Catch::Contains(b) && Catch::Contains("previous ticket keys stay in use"));
  CHECK(set->key_names() == names);

  write_key_file(b, random_ticket_key());
  CHECK_FALSE(set->reload());
  CHECK(set->key_names().front() == names.front());
  CHECK(set->key_names().back() != names.back());

  CHECK_THROWS_WITH(tls::session_ticket_keys::create({keys.dir.file("missing.key")}),
                    Catch::Contains("missing.key"));
  const auto same = keys.make("same.key", read_file(a));
  CHECK_THROWS_WITH(tls::session_ticket_keys::create({a, same}), Catch::Contains("same key name"));
  CHECK(tls::session_ticket_keys::create({})->key_names().size() == 1);  // random, per process
}

TEST_CASE("ticket identity format round-trips and refuses anything else", "[resumption]") {
  tls::ticket_identity identity;
  identity.verified_at_ms = 1700000000123;
  identity.chain_der = {"issuer-der", "root-der"};
  const auto bytes = tls::encode_ticket_identity(identity);
  const auto decoded = tls::decode_ticket_identity(bytes);
  REQUIRE(decoded);
  CHECK(decoded->verified_at_ms == identity.verified_at_ms);
  CHECK(decoded->chain_der == identity.chain_der);
  CHECK_FALSE(tls::decode_ticket_identity(bytes.substr(0, bytes.size() - 1)));
  CHECK_FALSE(tls::decode_ticket_identity(bytes + "x"));
  CHECK_FALSE(tls::decode_ticket_identity("cba2" + bytes.substr(4)));
  CHECK_FALSE(tls::decode_ticket_identity(""));
}

TEST_CASE("a resumed session is admitted as the same user, TLS 1.3 and 1.2", "[resumption]") {
  const int version = GENERATE(TLS1_3_VERSION, TLS1_2_VERSION);
  INFO("max version " << std::hex << version);
  proxy_instance proxy;  // no key files: a random key per process
  const auto options = proxy.client("alice", version);

  auto first = visit_once(proxy, options);
  REQUIRE(first.connected);
  CHECK_FALSE(first.resumed);
  REQUIRE(first.status == 200);
  REQUIRE(first.session);
  REQUIRE(SSL_SESSION_is_resumable(first.session.get()) == 1);
  const auto user = last_upstream_header(proxy, "X-Remote-User");
  const auto cert = last_upstream_header(proxy, "X-Cert-SHA256");
  CHECK(user == "alice");

  auto second = visit_once(proxy, options, first.session.get());
  REQUIRE(second.connected);
  CHECK(second.resumed);
  CHECK(second.status == 200);
  CHECK(last_upstream_header(proxy, "X-Remote-User") == user);
  CHECK(last_upstream_header(proxy, "X-Client-UPN") == "alice@example.test");
  CHECK(last_upstream_header(proxy, "X-Cert-SHA256") == cert);
  REQUIRE(proxy.upstream().requests().size() == 2);

  // A ticket issued on the resumed connection resumes too, and still carries the identity.
  REQUIRE(offerable(second));
  auto third = visit_once(proxy, options, second.session.get());
  REQUIRE(third.connected);
  CHECK(third.resumed);
  CHECK(third.status == 200);
  CHECK(last_upstream_header(proxy, "X-Remote-User") == "alice");
}

TEST_CASE("a resumed session still gets the account checks: bob (disabled) is refused again", "[resumption]") {
  proxy_instance proxy;
  const auto options = proxy.client("bob");
  auto first = visit_once(proxy, options);
  REQUIRE(first.connected);
  CHECK(first.status == 403);
  REQUIRE(first.session);
  auto second = visit_once(proxy, options, first.session.get());
  REQUIRE(second.connected);
  CHECK(second.resumed);
  CHECK(second.status == 403);
  CHECK(proxy.wait_for_count({"\"reason\":\"account_disabled\""}, 2, 10s));
  CHECK(proxy.upstream().requests().empty());
}

TEST_CASE("instances sharing key files resume each other's tickets, an unknown key gets a full handshake",
          "[resumption]") {
  key_dir keys;
  const auto a = keys.make("a.key");
  const auto b = keys.make("b.key");
  proxy_instance with_a(with_keys({a}));
  proxy_instance with_b_then_a(with_keys({b, a}));
  proxy_instance with_b_only(with_keys({b}));

  // TLS 1.3 clients use a ticket once: one ticket per attempt.
  const auto options = with_a.client("alice");
  auto issued = visit_once(with_a, options);
  auto issued_again = visit_once(with_a, options);
  REQUIRE(issued.status == 200);
  REQUIRE(offerable(issued));
  REQUIRE(offerable(issued_again));

  auto on_b_then_a = visit_once(with_b_then_a, options, issued.session.get());
  REQUIRE(on_b_then_a.connected);
  CHECK(on_b_then_a.resumed);
  CHECK(on_b_then_a.status == 200);
  CHECK(last_upstream_header(with_b_then_a, "X-Remote-User") == "alice");

  auto on_b_only = visit_once(with_b_only, options, issued_again.session.get());
  REQUIRE(on_b_only.connected);  // the client still has its certificate: a full handshake
  CHECK_FALSE(on_b_only.resumed);
  CHECK(on_b_only.status == 200);
  CHECK(with_b_only.wait_for_log({"ticket_not_resumed", "does not decrypt"}, 10s));

  // The ticket [B, A] issued is under B (the encrypting key): B-only resumes it.
  REQUIRE(offerable(on_b_then_a));
  auto renewed = visit_once(with_b_only, options, on_b_then_a.session.get());
  CHECK(renewed.resumed);
}

TEST_CASE("rotation: edit the key files and SIGHUP, a bad file keeps the old keys", "[resumption]") {
  key_dir keys;
  const auto first_file = keys.make("first.key");
  const auto second_file = keys.make("second.key");
  const auto key_a = read_file(first_file);
  proxy_instance proxy(with_keys({first_file, second_file}));
  const auto options = proxy.client("alice");

  std::vector<visit> under_a;
  for (int i = 0; i < 3; ++i) {
    under_a.push_back(visit_once(proxy, options));
    REQUIRE(offerable(under_a.back()));
  }

  // New key C first, A kept for decryption: an A ticket still resumes.
  write_key_file(first_file, random_ticket_key());
  write_key_file(second_file, key_a);
  send_sighup();
  REQUIRE(proxy.wait_for_log({"ticket_keys_reloaded"}, 10s));
  auto still = visit_once(proxy, options, under_a[0].session.get());
  CHECK(still.resumed);
  CHECK(still.status == 200);

  // A bad file: logged, the keys in use stay.
  write_key_file(second_file, "not a key");
  send_sighup();
  REQUIRE(proxy.wait_for_log({"ticket_keys_reload_failed", "second.key"}, 10s));
  auto after_bad = visit_once(proxy, options, under_a[1].session.get());
  CHECK(after_bad.resumed);

  // A dropped: its tickets no longer resume.
  write_key_file(second_file, random_ticket_key());
  send_sighup();
  REQUIRE(proxy.wait_for_count({"ticket_keys_reloaded"}, 2, 10s));
  auto gone = visit_once(proxy, options, under_a[2].session.get());
  REQUIRE(gone.connected);
  CHECK_FALSE(gone.resumed);
  CHECK(gone.status == 200);
  CHECK(proxy.wait_for_log({"ticket_not_resumed", "does not decrypt"}, 10s));
}

TEST_CASE("a tampered ticket gets a full handshake", "[resumption]") {
  // With key files the ticket is the sealed session; without, it is the id of a session kept in the
  // proxy (TLS 1.3 stateful ticket, TLS 1.2 session id).
  const bool sealed = GENERATE(true, false);
  const int version = GENERATE(TLS1_3_VERSION, TLS1_2_VERSION);
  INFO((sealed ? "key files" : "sessions kept in the proxy") << ", max version " << std::hex << version);
  key_dir keys;
  proxy_instance proxy(sealed ? with_keys({keys.make("k.key")}) : instance_options{});
  const auto options = proxy.client("alice", version);
  auto issued = visit_once(proxy, options);
  REQUIRE(issued.session);
  ssl_session_ptr tampered;
  if (sealed || version == TLS1_3_VERSION) {
    tampered = tamper_ticket(issued.session.get());
  } else {
    tampered = tamper_session_id(issued.session.get());
  }
  REQUIRE(SSL_SESSION_is_resumable(tampered.get()) == 1);
  auto v = visit_once(proxy, options, tampered.get());
  REQUIRE(v.connected);
  CHECK_FALSE(v.resumed);
  CHECK(v.status == 200);
  if (sealed) {
    CHECK(proxy.wait_for_log({"ticket_not_resumed", "does not decrypt"}, 10s));
  } else {
    CHECK(proxy.wait_for_log({"ticket_not_resumed", "not in this process's session cache"}, 10s));
  }
  // The untouched ticket still resumes (the tampering, not the key, made the difference).
  auto intact = visit_once(proxy, options, issued.session.get());
  CHECK(intact.resumed);
}

TEST_CASE("resumption re-applies the certificate policy: a ticket from a laxer instance is refused",
          "[resumption]") {
  key_dir keys;
  const auto shared = keys.make("shared.key");
  proxy_instance lax(with_keys({shared}, false));
  proxy_instance strict(with_keys({shared}));
  const auto options = lax.client("rogue");  // issued by a CA outside trust.ntauth
  auto issued = visit_once(lax, options);
  REQUIRE(issued.status == 200);
  REQUIRE(issued.session);

  // strict refuses the ticket (issuer_not_ntauth on re-verification), so a full handshake follows,
  // which refuses the certificate.
  auto v = visit_once(strict, options, issued.session.get());
  CHECK_FALSE(v.resumed);
  CHECK(v.status == 0);
  CHECK(strict.wait_for_log({"\"reason\":\"issuer_not_ntauth\""}, 10s));
  CHECK(strict.count_log({"ticket_not_resumed"}) == 0);  // the handshake failed: no such line

  CHECK(strict.upstream().requests().empty());
}

TEST_CASE("a ticket older than trust.recheck_interval does not resume", "[resumption]") {
  proxy_instance proxy(with_recheck("1s"));
  const auto options = proxy.client("alice");
  auto issued = visit_once(proxy, options);
  REQUIRE(issued.session);
  std::this_thread::sleep_for(1500ms);  // older than 1s for certain, not a race: no upper bound is asserted
  auto v = visit_once(proxy, options, issued.session.get());
  REQUIRE(v.connected);
  CHECK_FALSE(v.resumed);
  CHECK(v.status == 200);
  CHECK(proxy.wait_for_log({"ticket_not_resumed", "trust.recheck_interval"}, 10s));
}

TEST_CASE("a long-lived connection re-decides its identity after trust.recheck_interval", "[resumption]") {
  proxy_instance proxy(with_recheck("1s"));
  session_client client(proxy.client("alice"));
  REQUIRE(client.connect(proxy.port()));
  CHECK(client.get("/").status == 200);
  CHECK(proxy.count_log({"identity_rechecked"}) == 0);
  std::this_thread::sleep_for(1200ms);
  CHECK(client.get("/again").status == 200);
  CHECK(proxy.wait_for_log({"identity_rechecked", "\"status\":\"ok\""}, 10s));
  CHECK(last_upstream_header(proxy, "X-Remote-User") == "alice");
}

namespace {

// The verification time the server sealed into a ticket (its app data), read with the key file.
std::optional<std::int64_t> sealed_verified_at(SSL_SESSION* session, const std::string& key_bytes) {
  auto opened = open_ticket(session, key_bytes);
  if (!opened) return std::nullopt;
  void* data = nullptr;
  std::size_t length = 0;
  if (SSL_SESSION_get0_ticket_appdata(opened.get(), &data, &length) != 1 || data == nullptr) return std::nullopt;
  auto identity = tls::decode_ticket_identity(std::string_view(static_cast<const char*>(data), length));
  if (!identity) return std::nullopt;
  return identity->verified_at_ms;
}

}  // namespace

TEST_CASE("TLS 1.3: every resumption hands out a fresh ticket that keeps the first verification time",
          "[resumption]") {
  // A client that uses each ticket once and keeps only the newest (OpenSSL, BoringSSL, browsers).
  key_dir keys;
  const auto key_file = keys.make("only.key");
  const auto key_bytes = read_file(key_file);
  instance_options o = with_keys({key_file});
  o.recheck_interval = "8s";
  proxy_instance proxy(o);
  const auto options = proxy.client("alice");

  const auto started = std::chrono::steady_clock::now();
  auto newest = visit_once(proxy, options);
  REQUIRE(newest.status == 200);
  REQUIRE(offerable(newest));
  CHECK(SSL_SESSION_get_ticket_lifetime_hint(newest.session.get()) == 8);  // = trust.recheck_interval
  const auto first_verified = sealed_verified_at(newest.session.get(), key_bytes);
  REQUIRE(first_verified);

  for (int i = 1; i <= 5; ++i) {
    INFO("resumption " << i);
    if (i == 3) std::this_thread::sleep_for(2500ms);  // so that a restarted lifetime would show
    const auto offered = ticket_bytes(newest.session.get());
    auto v = visit_once(proxy, options, newest.session.get());
    REQUIRE(v.connected);
    CHECK(v.resumed);
    CHECK(v.status == 200);
    CHECK(last_upstream_header(proxy, "X-Remote-User") == "alice");
    REQUIRE(offerable(v));
    // A new ticket, not the offered one handed back.
    CHECK(ticket_bytes(v.session.get()) != offered);
    CHECK(sealed_verified_at(v.session.get(), key_bytes) == first_verified);
    // Its lifetime is what remains of the first verification's recheck_interval.
    if (i >= 3) CHECK(SSL_SESSION_get_ticket_lifetime_hint(v.session.get()) <= 6);
    newest = std::move(v);
  }
  CHECK(proxy.count_log({"ticket_not_resumed"}) == 0);

  // Past recheck_interval after the FIRST full handshake, the newest ticket (issued moments ago) does
  // not resume: resumption never extended the identity.
  std::this_thread::sleep_until(started + 8500ms);
  auto sixth = visit_once(proxy, options, newest.session.get());
  REQUIRE(sixth.connected);
  CHECK_FALSE(sixth.resumed);
  CHECK(sixth.status == 200);
  // The full handshake starts a new verification time.
  REQUIRE(offerable(sixth));
  const auto renewed = sealed_verified_at(sixth.session.get(), key_bytes);
  REQUIRE(renewed);
  CHECK(*renewed > *first_verified);
  auto again = visit_once(proxy, options, sixth.session.get());
  CHECK(again.resumed);
}

TEST_CASE("TLS 1.2: the ticket is re-used across resumptions and keeps resuming", "[resumption]") {
  proxy_instance proxy;
  const auto options = proxy.client("alice", TLS1_2_VERSION);
  auto first = visit_once(proxy, options);
  REQUIRE(first.status == 200);
  REQUIRE(offerable(first));
  for (int i = 1; i <= 3; ++i) {
    INFO("resumption " << i);
    auto v = visit_once(proxy, options, first.session.get());
    REQUIRE(v.connected);
    CHECK(v.resumed);
    CHECK(v.status == 200);
    CHECK(last_upstream_header(proxy, "X-Remote-User") == "alice");
  }
}

TEST_CASE("without key files the session stays in the proxy: the ticket is its id, and resumes once",
          "[resumption]") {
  proxy_instance proxy;  // no key files
  const auto options = proxy.client("alice");
  auto first = visit_once(proxy, options);
  REQUIRE(first.status == 200);
  REQUIRE(offerable(first));
  // A 32-byte session id, not a sealed session with the client's certificate in it.
  CHECK(ticket_bytes(first.session.get()).size() == 32);

  // A copy to replay later: OpenSSL's client itself never offers a TLS 1.3 session twice.
  const ssl_session_ptr replay{SSL_SESSION_dup(first.session.get())};
  REQUIRE(replay);

  // The test client closes without close_notify; the session resumes all the same.
  auto second = visit_once(proxy, options, first.session.get());
  REQUIRE(second.connected);
  CHECK(second.resumed);
  CHECK(second.status == 200);
  CHECK(last_upstream_header(proxy, "X-Remote-User") == "alice");
  CHECK(last_upstream_header(proxy, "X-Client-UPN") == "alice@example.test");

  // Used once: offered again, the first ticket gets a full handshake (and the reason in the log).
  auto replayed = visit_once(proxy, options, replay.get());
  REQUIRE(replayed.connected);
  CHECK_FALSE(replayed.resumed);
  CHECK(replayed.status == 200);
  if (!proxy.wait_for_log({"ticket_not_resumed", "not in this process's session cache"}, 10s)) {
    for (const auto& line : proxy.log_lines()) UNSCOPED_INFO(line);
    FAIL("no ticket_not_resumed line");
  }

  // The ticket the resumed connection got resumes in turn.
  REQUIRE(offerable(second));
  CHECK(ticket_bytes(second.session.get()) != ticket_bytes(first.session.get()));
  auto third = visit_once(proxy, options, second.session.get());
  CHECK(third.resumed);
  CHECK(third.status == 200);
  // Four handshakes, two of them resumed (second and third), as /metrics counts them.
  const auto metrics = metrics_text(proxy);
  CHECK(metrics.find("cba_handshakes_ok_total 4\n") != std::string::npos);
  CHECK(metrics.find("cba_handshakes_resumed_total 2\n") != std::string::npos);
  // Each handshake left one session in the store and each resumption took one out (the replay found
  // none): first's and second's were taken, the replayed full handshake's and third's remain.
  CHECK(metrics.find("cba_tls_sessions_kept{listener=\"edge\"} 2\n") != std::string::npos);

  // With key files the ticket is the sealed session instead (certificate and chain inside).
  key_dir keys;
  proxy_instance sealing(with_keys({keys.make("k.key")}));
  auto sealed = visit_once(sealing, sealing.client("alice"));
  REQUIRE(offerable(sealed));
  CHECK(ticket_bytes(sealed.session.get()).size() > 500);
  CHECK(metrics_text(sealing).find("cba_tls_sessions_kept{listener=\"edge\"} 0\n") != std::string::npos);
}

TEST_CASE("without key files another instance's session gets a full handshake, and the log says why",
          "[resumption]") {
  proxy_instance issuing;
  proxy_instance other;
  const int version = GENERATE(TLS1_3_VERSION, TLS1_2_VERSION);
  INFO("max version " << std::hex << version);
  auto issued = visit_once(issuing, issuing.client("alice", version));
  REQUIRE(offerable(issued));
  auto v = visit_once(other, other.client("alice", version), issued.session.get());
  REQUIRE(v.connected);
  CHECK_FALSE(v.resumed);
  CHECK(v.status == 200);
  CHECK(other.wait_for_log({"ticket_not_resumed", "tls.session_tickets.key_files"}, 10s));
  // The issuing instance still resumes it.
  auto home = visit_once(issuing, issuing.client("alice", version), issued.session.get());
  CHECK(home.resumed);
}

namespace {

// The first certificate of a PEM file (the project's own reader).
tls::x509_ptr read_certificate(const std::string& path) {
  auto read = tls::read_certificates(path);
  INFO(path << ": " << read.error);
  REQUIRE(read);
  return std::move(read.value.front());
}

// The test PKI's alice certificate issued again by the issuing CA, with the same key and names but
// valid only from a minute ago until `seconds` from now. Returns the PEM file written into `dir`.
std::string short_lived_alice(const temp_dir& dir, long seconds, std::time_t& not_after) {
  const auto& pki = test_pki::get();
  auto cert = read_certificate(pki.cert("alice"));
  auto issuer = read_certificate(pki.cert("issuing-ca"));
  auto issuer_key = tls::read_private_key(pki.key("issuing-ca"));
  INFO(issuer_key.error);
  REQUIRE(issuer_key);
  not_after = std::time(nullptr) + seconds;
  REQUIRE(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60) != nullptr);
  REQUIRE(X509_time_adj_ex(X509_getm_notAfter(cert.get()), 0, seconds, nullptr) != nullptr);
  REQUIRE(ASN1_INTEGER_set_int64(X509_get_serialNumber(cert.get()), static_cast<std::int64_t>(not_after)) == 1);
  REQUIRE(X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer.get())) == 1);
  REQUIRE(X509_sign(cert.get(), issuer_key.value.get(), EVP_sha256()) > 0);
  const auto path = dir.file("short-lived-alice.pem");
  std::FILE* out = std::fopen(path.c_str(), "w");
  REQUIRE(out != nullptr);
  REQUIRE(PEM_write_X509(out, cert.get()) == 1);
  std::fclose(out);
  return path;
}

}  // namespace

TEST_CASE("a session never outlives its certificate: past notAfter the policy decides again and refuses",
          "[resumption]") {
  // The chain's verdict is reused for resumptions while it is young (min(recheck_interval, 60s)), but
  // never past a certificate's validity period: then the policy runs again, here refusing the expired
  // certificate, and the full handshake that follows refuses it too. Kept sessions and sealed tickets,
  // TLS 1.3 and 1.2; trust.recheck_interval is the default 5 minutes, so only the validity ends them.
  const bool sealed = GENERATE(false, true);
  const int version = GENERATE(TLS1_3_VERSION, TLS1_2_VERSION);
  INFO((sealed ? "sealed tickets" : "kept sessions") << ", max version " << std::hex << version);
  key_dir keys;
  proxy_instance proxy(sealed ? with_keys({keys.make("k.key")}) : instance_options{});
  temp_dir dir("cba-short-lived");
  std::time_t not_after = 0;
  auto options = proxy.client("alice", version);
  options.cert_file = short_lived_alice(dir, 4, not_after);

  auto issued = visit_once(proxy, options);
  REQUIRE(issued.status == 200);
  REQUIRE(offerable(issued));
  // A resumption inside the validity period still works (the verdict is reused).
  auto inside = visit_once(proxy, options, issued.session.get());
  REQUIRE(inside.connected);
  CHECK(inside.resumed);
  CHECK(inside.status == 200);
  REQUIRE(offerable(inside));

  // Past notAfter for certain (not a race: no upper bound is asserted).
  while (std::time(nullptr) <= not_after + 1) std::this_thread::sleep_for(200ms);
  const auto requests_before = proxy.upstream().requests().size();
  auto after = visit_once(proxy, options, inside.session.get());
  CHECK_FALSE(after.resumed);
  CHECK(after.status == 0);
  if (!proxy.wait_for_log({"\"reason\":\"certificate_expired\""}, 10s)) {
    for (const auto& line : proxy.log_lines()) UNSCOPED_INFO(line);
    FAIL("no certificate_expired line");
  }
  CHECK(proxy.upstream().requests().size() == requests_before);
}
