// auth: kerberos end to end against real parts: cba-proxy in-process with directory.type: ldap (the
// Samba AD lab), Kerberos constrained delegation through the lab KDC, Apache + mod_auth_gssapi as the
// Exchange stand-in (tests/lab: echo.cgi answers REMOTE_USER=<principal> on its first line, then the
// request's HTTP_* headers), curl with real client certificates.
#include "proxy/auth/krb5_environment.hpp"
#include "proxy/server.hpp"
#include "tests/integration/proxy_fixture.hpp"
#include "tests/ldap/lab_env.hpp"
#include "tests/support/load_config_or_fail.hpp"
#include "tests/support/process.hpp"
#include "tests/support/recording_upstream.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/support/test_process_setup.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

using namespace cba;
using namespace cba::test;
using namespace std::chrono_literals;

namespace {

// Before any thread: krb5 reads KRB5_CONFIG from the environment (proxy/auth/krb5_environment.hpp),
// which is what cba-proxy's main does with kerberos.krb5_conf.
const bool process_set_up = [] {
  set_up_test_process(CBA_DEFAULT_PKI_DIR, CBA_DEFAULT_LAB_DIR);
  const std::string krb5_conf = std::string(std::getenv("CBA_LAB_DIR")) + "/krb5.conf";
  if (std::ifstream(krb5_conf)) auth::use_krb5_config(krb5_conf);
  return true;
}();

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// LABDIR/apache.env (tests/lab/apache-up; the CTest fixture `apache` starts it).
const std::map<std::string, std::string>& apache_env() {
  static const std::map<std::string, std::string> vars = [] {
    const std::string path = lab_env::get().dir() + "/apache.env";
    std::ifstream in(path);
    if (!in)
      throw std::runtime_error(path + " is missing: start Apache with tests/kerberos/apache-fixture-up " +
                               lab_env::get().dir());
    std::map<std::string, std::string> out;
    std::string line;
    while (std::getline(in, line)) {
      const auto eq = line.find('=');
      if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
      out[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return out;
  }();
  return vars;
}

const std::string& apache(const std::string& key) {
  const auto it = apache_env().find(key);
  if (it == apache_env().end() || it->second.empty()) throw std::runtime_error("apache.env has no " + key);
  return it->second;
}

// Client certificates for user01..user20 (tests/kerberos/make-kerberos-client-certs.sh).
const temp_dir& user_certs() {
  static const temp_dir dir("cba-kerberos-certs");
  static const bool made = [] {
    const auto r = run_process({std::string(CBA_SOURCE_DIR) + "/tests/kerberos/make-kerberos-client-certs.sh",
                                test_pki::get().dir(), dir.path().string()},
                               120s);
    if (!r.ok()) throw std::runtime_error("make-kerberos-client-certs.sh failed: " + r.describe());
    return true;
  }();
  (void)made;
  return dir;
}

struct kerberos_options {
  std::string channel_binding = "auto";
  std::string small_header_budget = "1024";  // request_header_bytes of the /EWS upstream
  std::string krb5_conf;                     // kerberos.krb5_conf; empty: the lab's
};

const std::string exchange_spn = "HTTP/exchange.example.test@EXAMPLE.TEST";

std::string make_config(const test_pki& pki, const kerberos_options& o, unsigned short impostor_port) {
  const auto& lab = lab_env::get();
  const auto p = [&](std::string_view name) { return quoted(pki.file(name)); };
  const std::string http_url = quoted("http://127.0.0.1:" + apache("LAB_HTTP_PORT"));
  std::string y;
  y += "listeners:\n";
  y += "  - name: edge\n";
  y += "    address: \"127.0.0.1:0\"\n";
  y += "    tls: {certificate_chain: " + p("server-chain.pem") + ", private_key: " + p("server.key") + "}\n";
  y += "    limits: {handshake_timeout: 10s, header_timeout: 20s, idle_timeout: 60s}\n";
  y += "trust:\n";
  y += "  roots: " + p("roots.pem") + "\n";
  y += "  intermediates: " + p("intermediates.pem") + "\n";
  y += "  ntauth: " + p("ntauth.pem") + "\n";
  y += "directory:\n";
  y += "  type: ldap\n";
  y += "  ldap:\n";
  y += "    urls: [" + quoted(lab.at("LAB_LDAPS_URL")) + "]\n";
  y += "    ca: " + quoted(lab.at("LAB_CA")) + "\n";
  y += "    bind: {method: simple, dn: " + quoted(lab.at("LAB_BIND_DN")) +
       ", password_file: " + quoted(lab.at("LAB_BIND_PW_FILE")) + "}\n";
  y += "    base_dn: " + quoted(lab.at("LAB_BASE_DN")) + "\n";
  y += "    pool_size: 4\n";
  y += "  certificate_mapping: upn\n";
  y += "upstreams:\n";
  y += "  - {name: exchange, url: " + http_url + ", connect_timeout: 3s}\n";
  y += "  - name: exchange-tls\n";
  y += "    url: " + quoted("https://127.0.0.1:" + apache("LAB_HTTPS_PORT")) + "\n";
  y += "    tls: {ca: " + quoted(lab.at("LAB_CA")) + ", server_name: exchange.example.test}\n";
  y += "    connect_timeout: 3s\n";
  y += "  - {name: exchange-small, url: " + http_url + ", request_header_bytes: " + o.small_header_budget + "}\n";
  // Not Exchange: it answers without holding the service key (mutual authentication must fail).
  y += "  - {name: impostor, url: \"http://127.0.0.1:" + std::to_string(impostor_port) + "\"}\n";
  y += "kerberos:\n";
  y += "  principal: " + quoted(lab.at("LAB_SVC_PRINCIPAL")) + "\n";
  y += "  keytab: " + quoted(lab.at("LAB_SVC_KEYTAB")) + "\n";
  y += "  krb5_conf: " + quoted(o.krb5_conf.empty() ? lab.at("LAB_KRB5_CONFIG") : o.krb5_conf) + "\n";
  y += "  channel_binding: " + o.channel_binding + "\n";
  y += "routes:\n";
  const auto route = [&](std::string_view prefix, std::string_view upstream, const std::string& spn) {
    y += "  - {path_prefix: " + std::string(prefix) + ", upstream: " + std::string(upstream) +
         ", auth: kerberos, service_principal: " + quoted(spn) + "}\n";
  };
  route("/owa", "exchange", exchange_spn);
  route("/per-request", "exchange", exchange_spn);
  route("/Microsoft-Server-ActiveSync", "exchange", exchange_spn);
  route("/ecp", "exchange-tls", exchange_spn);
  route("/EWS", "exchange-small", exchange_spn);
  // HTTP/exchange is a real SPN of EXCHANGE$, but not in svc-cba's msDS-AllowedToDelegateTo.
  route("/mapi", "exchange", "HTTP/exchange@EXAMPLE.TEST");
  route("/autodiscover", "impostor", exchange_spn);
  y += "admin: {address: \"127.0.0.1:0\"}\n";
  y += "log: {level: debug}\n";
  y += "runtime: {io_threads: 2}\n";
  return y;
}

struct curl_result {
  process_result process;
  std::vector<unsigned> statuses;  // one per URL
  std::string out;                 // headers (-i) and bodies of every response
};

// cba-proxy in-process, configured like a user would, collecting its log lines.
class kerberos_proxy {
 public:
  explicit kerberos_proxy(kerberos_options o = {}) : pki_(test_pki::get()), dir_("cba-kerberos") {
    const std::string yaml = make_config(pki_, o, impostor_.port());
    dir_.write("cba-proxy.yaml", yaml);
    const auto cfg = load_config_or_fail(yaml, dir_);
    server_options options;
    options.log_sink = [this](const std::string& line) {
      std::lock_guard lock(mutex_);
      logs_.push_back(line);
    };
    server_ = std::make_unique<server>(cfg, std::move(options));
    server_->start();
    port_ = server_->listener_endpoints().at(0).port();
    admin_port_ = server_->admin_endpoint()->port();
    thread_ = std::thread([this] { server_->run(); });
  }
  ~kerberos_proxy() {
    server_->stop();
    thread_.join();
  }
  kerberos_proxy(const kerberos_proxy&) = delete;
  kerberos_proxy& operator=(const kerberos_proxy&) = delete;

  recording_upstream& impostor() { return impostor_; }

  std::string url(std::string_view path) const {
    return "https://localhost:" + std::to_string(port_) + std::string(path);
  }

  // One curl process: every path on one keep-alive connection, in order. `who`: alice, bob (test
  // PKI) or user01..user20.
  curl_result curl(const std::string& who, const std::vector<std::string>& paths,
                   const std::vector<std::string>& extra = {}) const {
    std::string cert = pki_.cert(who);
    std::string key = pki_.key(who);
    if (who.rfind("user", 0) == 0) {
      cert = user_certs().file(who + ".pem");
      key = user_certs().file(who + ".key");
    }
    std::vector<std::string> argv{"curl",     "-sS",     "-i",  "--noproxy", "*",  "--max-time", "120",
                                  "--cacert", pki_.file("roots.pem"), "--cert", cert, "--key", key,
                                  "-w",       "\n@@status=%{http_code}@@\n"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    for (const auto& path : paths) argv.push_back(url(path));
    curl_result r;
    r.process = run_process(argv, 180s);
    r.out = r.process.out;
    std::size_t at = 0;
    while ((at = r.out.find("@@status=", at)) != std::string::npos) {
      at += 9;
      r.statuses.push_back(static_cast<unsigned>(std::stoul("0" + r.out.substr(at, 3))));
    }
    return r;
  }

  std::vector<std::string> logs() const {
    std::lock_guard lock(mutex_);
    return logs_;
  }

  // Access lines ("type":"request") whose target starts with `prefix`.
  std::vector<std::string> access_lines(std::string_view prefix) const {
    std::vector<std::string> out;
    for (const auto& line : logs()) {
      if (json_string_field(line, "type") != "request") continue;
      const auto target = json_string_field(line, "target");
      if (target && target->rfind(prefix, 0) == 0) out.push_back(line);
    }
    return out;
  }

  // Waits until `n` access lines for `prefix` exist (lines trail responses).
  std::vector<std::string> wait_access_lines(std::string_view prefix, std::size_t n) const {
    for (int i = 0; i < 100; ++i) {
      auto lines = access_lines(prefix);
      if (lines.size() >= n) return lines;
      std::this_thread::sleep_for(50ms);
    }
    return access_lines(prefix);
  }

  std::vector<std::string> events(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& line : logs())
      if (json_string_field(line, "event") == name || json_string_field(line, "type") == name) out.push_back(line);
    return out;
  }

  std::string metrics() const {
    const auto r = run_process({"curl", "-sS", "--noproxy", "*", "--max-time", "10",
                                "http://127.0.0.1:" + std::to_string(admin_port_) + "/metrics"},
                               20s);
    return r.out;
  }

  // The value of one metric line ("name value"), or -1.
  long long metric(const std::string& name) const {
    std::istringstream in(metrics());
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(name + " ", 0) == 0) return std::stoll(line.substr(name.size() + 1));
    }
    return -1;
  }

  // GET /readyz on the admin listener: "STATUS body".
  std::string readyz() const {
    const auto r = run_process({"curl", "-sS", "--noproxy", "*", "--max-time", "10", "-w", "%{http_code} ",
                                "http://127.0.0.1:" + std::to_string(admin_port_) + "/readyz"},
                               20s);
    // -w comes after the body: turn "ready\n200 " into "200 ready".
    std::string body = r.out.substr(0, r.out.find('\n'));
    const auto code = r.out.substr(r.out.find('\n') + 1);
    return code.substr(0, code.find(' ')) + " " + body;
  }

 private:
  const test_pki& pki_;
  temp_dir dir_;
  recording_upstream impostor_;
  std::unique_ptr<server> server_;
  std::thread thread_;
  unsigned short port_ = 0;
  unsigned short admin_port_ = 0;
  mutable std::mutex mutex_;
  std::vector<std::string> logs_;
};

// One request that the proxy refuses with `status`, its error page naming `reason`.
curl_result curl_refused(const kerberos_proxy& proxy, const std::string& who, const std::string& path,
                         unsigned status, const std::string& reason) {
  auto r = proxy.curl(who, {path});
  INFO(r.process.describe());
  REQUIRE(r.statuses == std::vector<unsigned>{status});
  CHECK(r.out.find("reason: " + reason) != std::string::npos);
  return r;
}

// Every "REMOTE_USER=..." line of a curl output, in order.
std::vector<std::string> remote_users(const std::string& out) {
  std::vector<std::string> users;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("REMOTE_USER=", 0) == 0) users.push_back(line.substr(12));
  }
  return users;
}

// The value of the first "NAME=value" body line (echo.cgi), or nullopt.
std::optional<std::string> cgi_value(const std::string& out, const std::string& name) {
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + "=", 0) == 0) return line.substr(name.size() + 1);
  }
  return std::nullopt;
}

bool has_header(const std::string& out, std::string_view name) {
  std::string lower;
  for (char c : out) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string needle = "\n";
  for (char c : name) needle += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  needle += ":";
  return lower.find(needle) != std::string::npos;
}

// A copy of the lab krb5.conf whose realm's only KDC is 127.0.0.1:port.
std::string krb5_conf_with_kdc(const temp_dir& dir, unsigned short port) {
  const auto& lab = lab_env::get();
  std::string text = read_file(lab.at("LAB_KRB5_CONFIG"));
  const std::string kdc = "kdc = 127.0.0.1:" + lab.at("LAB_KDC_PORT");
  const auto at = text.find(kdc);
  if (at == std::string::npos) throw std::runtime_error("no '" + kdc + "' in " + lab.at("LAB_KRB5_CONFIG"));
  text.replace(at, kdc.size(), "kdc = 127.0.0.1:" + std::to_string(port));
  return dir.write("krb5.conf", text);
}

// KRB5_CONFIG is process-wide (proxy/auth/krb5_environment.hpp): point it elsewhere while no proxy runs
// and back to the lab's for the tests after this one.
class krb5_config_override {
 public:
  explicit krb5_config_override(const std::string& path) { auth::use_krb5_config(path); }
  ~krb5_config_override() { auth::use_krb5_config(lab_env::get().at("LAB_KRB5_CONFIG")); }
  krb5_config_override(const krb5_config_override&) = delete;
  krb5_config_override& operator=(const krb5_config_override&) = delete;
};

std::size_t apache_access_lines() {
  std::ifstream in(apache("LAB_APACHE_ACCESS_LOG"));
  std::size_t n = 0;
  std::string line;
  while (std::getline(in, line)) ++n;
  return n;
}

}  // namespace

TEST_CASE("alice reaches Apache as alice@EXAMPLE.TEST but her spoofed Authorization does not and no challenge comes back",
          "[lab][apache]") {
  kerberos_proxy proxy;
  const auto r = proxy.curl("alice", {"/owa/", "/owa/second"},
                            {"-H", "Authorization: Basic c3Bvb2Y6c3Bvb2Y=", "-H", "Proxy-Authorization: Basic eDp5",
                             "-H", "X-Test: kept"});
  INFO(r.process.describe());
  REQUIRE(r.statuses == std::vector<unsigned>{200, 200});
  CHECK(remote_users(r.out) == std::vector<std::string>{"alice@EXAMPLE.TEST", "alice@EXAMPLE.TEST"});
  // The proxy's own token on the first request of the upstream connection; the client's never.
  const auto authorization = cgi_value(r.out, "HTTP_AUTHORIZATION");
  REQUIRE(authorization);
  CHECK(authorization->rfind("Negotiate ", 0) == 0);
  CHECK(r.out.find("c3Bvb2Y6c3Bvb2Y") == std::string::npos);
  CHECK(r.out.find("eDp5") == std::string::npos);
  CHECK(r.out.find("HTTP_PROXY_AUTHORIZATION") == std::string::npos);
  CHECK(cgi_value(r.out, "HTTP_X_TEST") == "kept");
  // Apache sends its mutual-authentication token (WWW-Authenticate: Negotiate ...): consumed.
  CHECK_FALSE(has_header(r.out, "WWW-Authenticate"));

  const auto lines = proxy.wait_access_lines("/owa", 2);
  REQUIRE(lines.size() == 2);
  CHECK(json_string_field(lines[0], "delegated_principal") == "alice@EXAMPLE.TEST");
  CHECK(json_string_field(lines[0], "upstream_auth") == "new");
  CHECK(json_string_field(lines[1], "delegated_principal") == "alice@EXAMPLE.TEST");
  CHECK(json_string_field(lines[1], "upstream_auth") == "reused");
  const auto negotiate = proxy.events("upstream_negotiate");
  REQUIRE(negotiate.size() == 1);
  CHECK(negotiate[0].find("\"token_base64_bytes\":") != std::string::npos);
  CHECK(negotiate[0].find("\"channel_bound\":false") != std::string::npos);  // http:// upstream
}

TEST_CASE("bob (disabled in AD) is refused 403 by the directory before any Kerberos", "[lab][apache]") {
  kerberos_proxy proxy;
  const auto before = apache_access_lines();
  curl_refused(proxy, "bob", "/owa/", 403, "account_disabled");
  CHECK(proxy.events("upstream_negotiate").empty());
  CHECK(proxy.metric("cba_kerberos_kdc_exchanges_total") == 0);
  CHECK(apache_access_lines() == before);
}

TEST_CASE("a service principal outside the delegation list is 502 delegation_not_allowed with the KDC's words",
          "[lab][apache]") {
  kerberos_proxy proxy;
  const auto before = apache_access_lines();
  curl_refused(proxy, "alice", "/mapi/", 502, "delegation_not_allowed");
  const auto lines = proxy.wait_access_lines("/mapi", 1);
  REQUIRE(lines.size() == 1);
  INFO(lines[0]);
  CHECK(json_string_field(lines[0], "reason") == "delegation_not_allowed");
  const auto detail = json_string_field(lines[0], "detail").value_or("");
  CHECK_FALSE(detail.empty());
  CHECK(json_string_field(lines[0], "delegated_principal") == "alice@EXAMPLE.TEST");
  CHECK(apache_access_lines() == before);
}

TEST_CASE("20 accounts x 50 interleaved keep-alive requests: no response carries another account's principal",
          "[lab][apache][load]") {
  kerberos_proxy proxy;
  const auto apache_lines_before = apache_access_lines();
  constexpr int accounts = 20;
  constexpr int requests = 50;
  std::vector<curl_result> results(accounts);
  std::vector<std::thread> threads;
  for (int i = 0; i < accounts; ++i) {
    threads.emplace_back([&, i] {
      const std::string user = (i + 1 < 10 ? "user0" : "user") + std::to_string(i + 1);
      std::vector<std::string> paths;
      for (int k = 0; k < requests; ++k) paths.push_back("/owa/?n=" + std::to_string(k));
      results[static_cast<std::size_t>(i)] = proxy.curl(user, paths);
    });
  }
  for (auto& t : threads) t.join();

  std::size_t wrong = 0;
  std::size_t answered = 0;
  for (int i = 0; i < accounts; ++i) {
    const std::string user = (i + 1 < 10 ? "user0" : "user") + std::to_string(i + 1);
    const auto& r = results[static_cast<std::size_t>(i)];
    INFO(user << ": " << r.process.describe().substr(0, 2000));
    CHECK(r.statuses == std::vector<unsigned>(requests, 200));
    for (const auto& seen : remote_users(r.out)) {
      ++answered;
      if (seen != user + "@EXAMPLE.TEST") ++wrong;
    }
  }
  CHECK(answered == accounts * requests);
  CHECK(wrong == 0);
  // One S4U exchange per account, whatever the number of requests.
  CHECK(proxy.metric("cba_kerberos_kdc_exchanges_total") == accounts);
  // Every upstream connection carried one account only (Apache's log: "client:port k "user" ..."; only
  // this test's lines: a later connection may reuse an earlier one's port).
  std::map<std::string, std::set<std::string>> users_per_connection;
  std::ifstream log(apache("LAB_APACHE_ACCESS_LOG"));
  std::string line;
  for (std::size_t skipped = 0; skipped < apache_lines_before && std::getline(log, line);) ++skipped;
  std::set<std::string> our_users;
  for (int i = 1; i <= accounts; ++i) our_users.insert((i < 10 ? "user0" : "user") + std::to_string(i) + "@EXAMPLE.TEST");
  while (std::getline(log, line)) {
    const auto q1 = line.find('"');
    const auto q2 = line.find('"', q1 + 1);
    if (q1 == std::string::npos || q2 == std::string::npos) continue;
    const auto user = line.substr(q1 + 1, q2 - q1 - 1);
    if (our_users.count(user) == 0) continue;
    users_per_connection[line.substr(0, line.find(' '))].insert(user);
  }
  CHECK(users_per_connection.size() >= accounts);
  for (const auto& [connection, users] : users_per_connection) {
    INFO(connection);
    CHECK(users.size() == 1);
  }
}

TEST_CASE("the ticket cache: new upstream connections of one account reuse its ticket, one KDC exchange",
          "[lab][apache]") {
  kerberos_proxy proxy;
  // /per-request/ wants a token on every request (GssapiConnectionBound Off): every request after the
  // first on a connection is answered 401 and re-authenticated once with a new context.
  const auto r = proxy.curl("alice", {"/per-request/owa/1", "/per-request/owa/2", "/per-request/owa/3"});
  INFO(r.process.describe());
  REQUIRE(r.statuses == std::vector<unsigned>{200, 200, 200});
  CHECK(remote_users(r.out) == std::vector<std::string>(3, "alice@EXAMPLE.TEST"));
  CHECK_FALSE(has_header(r.out, "WWW-Authenticate"));
  // Parallel clients make more upstream connections for alice.
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      const auto p = proxy.curl("alice", {"/owa/?sleep=1"});
      if (p.statuses == std::vector<unsigned>{200} && remote_users(p.out) == std::vector<std::string>{"alice@EXAMPLE.TEST"})
        ++ok;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == 4);

  const auto lines = proxy.wait_access_lines("/per-request", 3);
  REQUIRE(lines.size() == 3);
  for (const auto& line : lines) CHECK(json_string_field(line, "upstream_auth") == "new");
  const auto tokens = proxy.events("upstream_negotiate").size();
  CHECK(tokens >= 4);
  CHECK(proxy.metric("cba_kerberos_kdc_exchanges_total") == 1);
  CHECK(proxy.metric("cba_kerberos_ticket_cache_hits_total") >= 3);
}

TEST_CASE("a small body is replayed after a 401, a body over 48 KiB is not", "[lab][apache]") {
  kerberos_proxy proxy;
  temp_dir dir("cba-kerberos-body");
  const auto small = dir.write("small.bin", std::string(1000, 'x'));
  const auto big = dir.write("big.bin", std::string(100 * 1024, 'y'));
  // The second request of each connection meets a 401 (per-request auth) with its body already sent.
  const auto r = proxy.curl("alice", {"/per-request/owa/a", "/per-request/owa/b"},
                            {"--data-binary", "@" + small});
  INFO(r.process.describe());
  REQUIRE(r.statuses == std::vector<unsigned>{200, 200});
  CHECK(r.out.find("BODY_LENGTH=1000") != std::string::npos);
  std::size_t count = 0;
  for (std::size_t at = r.out.find("BODY_LENGTH=1000"); at != std::string::npos; at = r.out.find("BODY_LENGTH=1000", at + 1))
    ++count;
  CHECK(count == 2);

  // A body that cannot be held carries a token even on an authenticated connection: it never meets a 401.
  const auto b = proxy.curl("alice", {"/per-request/owa/c", "/per-request/owa/d"}, {"--data-binary", "@" + big});
  INFO(b.process.describe().substr(0, 3000));
  CHECK(b.statuses == std::vector<unsigned>{200, 200});
  count = 0;
  for (std::size_t at = b.out.find("BODY_LENGTH=102400"); at != std::string::npos; at = b.out.find("BODY_LENGTH=102400", at + 1))
    ++count;
  CHECK(count == 2);
  const auto lines = proxy.wait_access_lines("/per-request/owa/", 4);
  REQUIRE(lines.size() == 4);
  CHECK(json_string_field(lines[2], "upstream_auth") == "new");
  CHECK(json_string_field(lines[3], "upstream_auth") == "new");
  CHECK(proxy.metric("cba_kerberos_kdc_exchanges_total") == 1);

  // A 401 to a fresh token with a body that was not held: refused without a retry, never a 401.
  const auto refused = proxy.curl("alice", {"/owa/?status=401"}, {"--data-binary", "@" + big});
  INFO(refused.process.describe().substr(0, 3000));
  CHECK(refused.statuses == std::vector<unsigned>{502});
  CHECK(refused.out.find("reason: upstream_auth_failed") != std::string::npos);
  CHECK_FALSE(has_header(refused.out, "WWW-Authenticate"));
  const auto owa = proxy.wait_access_lines("/owa/", 1);
  REQUIRE(owa.size() == 1);
  CHECK_THAT(json_string_field(owa[0], "detail").value_or(""), Catch::Contains("not retried"));
}

TEST_CASE("an upstream 401 to a fresh ticket is 502 upstream_auth_failed, 403 on ActiveSync, never 401",
          "[lab][apache]") {
  kerberos_proxy proxy;
  const auto owa = proxy.curl("alice", {"/owa/?status=401"});
  INFO(owa.process.describe());
  REQUIRE(owa.statuses == std::vector<unsigned>{502});
  CHECK(owa.out.find("reason: upstream_auth_failed") != std::string::npos);
  CHECK_FALSE(has_header(owa.out, "WWW-Authenticate"));

  const auto eas = proxy.curl("alice", {"/Microsoft-Server-ActiveSync?Cmd=Sync&status=401"});
  INFO(eas.process.describe());
  REQUIRE(eas.statuses == std::vector<unsigned>{403});
  CHECK(eas.out.find("reason: upstream_auth_failed") != std::string::npos);
  CHECK_FALSE(has_header(eas.out, "WWW-Authenticate"));
  // The refused ticket was dropped and fetched again for the retry.
  CHECK(proxy.metric("cba_kerberos_kdc_exchanges_total") >= 2);
  const auto lines = proxy.wait_access_lines("/Microsoft-Server-ActiveSync", 1);
  REQUIRE(lines.size() == 1);
  CHECK(json_string_field(lines[0], "reason") == "upstream_auth_failed");
}

TEST_CASE("https upstream: channel binding auto puts tls-server-end-point into the token and works",
          "[lab][apache]") {
  kerberos_proxy proxy;
  const auto r = proxy.curl("alice", {"/ecp/", "/ecp/again"});
  INFO(r.process.describe());
  REQUIRE(r.statuses == std::vector<unsigned>{200, 200});
  CHECK(remote_users(r.out) == std::vector<std::string>(2, "alice@EXAMPLE.TEST"));
  CHECK_FALSE(has_header(r.out, "WWW-Authenticate"));
  const auto negotiate = proxy.events("upstream_negotiate");
  REQUIRE(negotiate.size() == 1);
  CHECK(negotiate[0].find("\"channel_bound\":true") != std::string::npos);
}

TEST_CASE("channel_binding required: an http upstream gets nothing, 502 channel_binding_unavailable",
          "[lab][apache]") {
  kerberos_options o;
  o.channel_binding = "required";
  kerberos_proxy proxy(o);
  const auto before = apache_access_lines();
  curl_refused(proxy, "alice", "/owa/", 502, "channel_binding_unavailable");
  CHECK(apache_access_lines() == before);
  const auto tls = proxy.curl("alice", {"/ecp/"});
  INFO(tls.process.describe());
  CHECK(tls.statuses == std::vector<unsigned>{200});
  CHECK(remote_users(tls.out) == std::vector<std::string>{"alice@EXAMPLE.TEST"});
}

TEST_CASE("request_header_bytes: a head that would outgrow it with the token is 431 naming Authorization",
          "[lab][apache]") {
  kerberos_proxy proxy;
  const auto before = apache_access_lines();
  const auto r = curl_refused(proxy, "alice", "/EWS/Exchange.asmx", 431, "upstream_header_too_large");
  CHECK(r.out.find("largest header: Authorization") != std::string::npos);  // the client learns which one
  CHECK(apache_access_lines() == before);
  const auto lines = proxy.wait_access_lines("/EWS", 1);
  REQUIRE(lines.size() == 1);
  INFO(lines[0]);
  const auto detail = json_string_field(lines[0], "detail").value_or("");
  CHECK_THAT(detail, Catch::Contains("largest header: Authorization"));
  CHECK_THAT(detail, Catch::Contains("request_header_bytes 1024"));
  // The token size is logged either way.
  const auto negotiate = proxy.events("upstream_negotiate");
  REQUIRE(negotiate.size() == 1);
  CHECK(negotiate[0].find("\"token_base64_bytes\":") != std::string::npos);
}

TEST_CASE("an upstream whose Negotiate reply does not verify gets 502 mutual_auth_failed and no response passes",
          "[lab][apache]") {
  kerberos_proxy proxy;
  upstream_behaviour forged;
  forged.body = "secret page from an impostor\n";
  forged.extra_headers = {{"WWW-Authenticate", "Negotiate oRQwEqADCgEAoQsGCSqGSIb3EgECAg=="}};
  proxy.impostor().set_behaviour(forged);
  const auto r = curl_refused(proxy, "alice", "/autodiscover/autodiscover.xml", 502, "mutual_auth_failed");
  CHECK(r.out.find("impostor") == std::string::npos);
  REQUIRE(proxy.impostor().wait_for_requests(1, 5s));
  CHECK(proxy.impostor().request(0)->header("Authorization").value_or("").rfind("Negotiate ", 0) == 0);

  // No reply token at all is no proof either.
  upstream_behaviour silent;
  silent.body = "no token\n";
  proxy.impostor().set_behaviour(silent);
  curl_refused(proxy, "alice", "/autodiscover/again", 502, "mutual_auth_failed");
  const auto lines = proxy.wait_access_lines("/autodiscover", 2);
  REQUIRE(lines.size() == 2);
  CHECK_FALSE(json_string_field(lines[1], "detail").value_or("").empty());
}

TEST_CASE("the KDC unreachable is 503 kdc_unavailable with the KDC's words in the log, and /readyz stays ready",
          "[lab][apache]") {
  temp_dir dir("cba-kerberos-kdc-down");
  const auto conf = krb5_conf_with_kdc(dir, closed_port());  // tests/integration/proxy_fixture.hpp
  kerberos_options o;
  o.krb5_conf = conf;
  // Declared before the proxy: the proxy (and its KDC threads) is gone when KRB5_CONFIG is put back.
  const krb5_config_override krb5(conf);
  kerberos_proxy proxy(o);
  // Readiness is the listeners and the directory (its first bind happens in the background after
  // start); the KDC is asked per request, never by /readyz.
  std::string ready;
  for (int i = 0; i < 100 && ready != "200 ready"; ++i) {
    if (i > 0) std::this_thread::sleep_for(100ms);
    ready = proxy.readyz();
  }
  CHECK(ready == "200 ready");
  const auto before = apache_access_lines();

  const auto r = proxy.curl("alice", {"/owa/", "/owa/again"});
  INFO(r.process.describe());
  REQUIRE(r.statuses == std::vector<unsigned>{503, 503});  // an answer each time: not a 403, not a hang
  CHECK(r.out.find("reason: kdc_unavailable") != std::string::npos);
  CHECK(remote_users(r.out).empty());
  CHECK_FALSE(has_header(r.out, "WWW-Authenticate"));
  CHECK(r.out.find("Cannot contact any KDC") == std::string::npos);  // the KDC's words go to the log only
  CHECK(apache_access_lines() == before);
  CHECK(proxy.events("upstream_negotiate").empty());

  const auto lines = proxy.wait_access_lines("/owa", 2);
  REQUIRE(lines.size() == 2);
  for (const auto& line : lines) {
    INFO(line);
    CHECK(json_string_field(line, "reason") == "kdc_unavailable");
    CHECK(json_string_field(line, "delegated_principal") == "alice@EXAMPLE.TEST");
    const auto detail = json_string_field(line, "detail").value_or("");
    CHECK_THAT(detail, Catch::Contains("Cannot contact any KDC for realm 'EXAMPLE.TEST'"));
  }
  CHECK(proxy.metric("cba_kerberos_delegation_failures_total") == 2);
  CHECK(proxy.metric("cba_kerberos_kdc_exchanges_total") == 0);  // no S4U chain was made without a TGT
  CHECK(proxy.readyz() == "200 ready");
}
