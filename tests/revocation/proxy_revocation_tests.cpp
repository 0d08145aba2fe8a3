// The running proxy with trust.revocation: curl presents certificates of the revocation lab's PKI; a
// certificate revoked while the proxy runs is refused (403, reason revoked) after SIGHUP.
#include "proxy/server.hpp"
#include "tests/revocation/revocation_lab.hpp"
#include "tests/support/load_config_or_fail.hpp"
#include "tests/support/process.hpp"
#include "tests/support/recording_upstream.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

#include <catch2/catch.hpp>

#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>

using namespace cba;
using cba::test::revocation_lab;
using namespace std::chrono_literals;

namespace {

struct response {
  unsigned status = 0;
  std::string body;
  std::string describe;
};

class revocation_proxy {
 public:
  revocation_proxy(const revocation_lab& lab, const std::string& revocation_yaml) : lab_(lab), dir_("cba-rev-proxy") {
    const auto& pki = test::test_pki::get();
    const auto q = [](const std::string& path) { return "\"" + path + "\""; };
    std::string y;
    y += "listeners:\n  - name: edge\n    address: \"127.0.0.1:0\"\n    tls:\n";
    y += "      certificate_chain: " + q(pki.file("server-chain.pem")) + "\n";
    y += "      private_key: " + q(pki.file("server.key")) + "\n";
    y += "trust:\n";
    y += "  roots: " + q(lab.file("roots.pem")) + "\n";
    y += "  intermediates: " + q(lab.file("intermediates.pem")) + "\n";
    y += "  revocation:\n" + revocation_yaml;
    y += "directory:\n  type: file\n  file: {path: " + q(pki.file("users.yaml")) + "}\n  certificate_mapping: upn\n";
    y += "upstreams:\n  - {name: app, url: \"http://127.0.0.1:" + std::to_string(upstream_.port()) + "\"}\n";
    y += "routes:\n  - {path_prefix: /, upstream: app, auth: headers}\n";
    y += "identity_headers: {set: {X-Remote-User: \"{sam_account_name}\"}}\n";
    y += "admin: {address: \"127.0.0.1:0\"}\n";
    y += "runtime: {io_threads: 2}\n";
    const auto cfg = test::load_config_or_fail(y, dir_);
    server_options options;
    options.log_sink = [this](const std::string& line) {
      {
        std::lock_guard lock(mutex_);
        logs_.push_back(line);
      }
      changed_.notify_all();
    };
    server_ = std::make_unique<server>(cfg, std::move(options));
    server_->start();
    port_ = server_->listener_endpoints().front().port();
    admin_port_ = server_->admin_endpoint()->port();
    thread_ = std::thread([this] { server_->run(); });
  }

  ~revocation_proxy() {
    server_->stop();
    thread_.join();
  }

  response get(const std::string& client) const {
    const auto& pki = test::test_pki::get();
    static const std::string marker = "\n@@status@@";
    auto r = test::run_process({"curl", "-sS", "--noproxy", "*", "--max-time", "30", "--cacert", pki.file("roots.pem"),
                                "--cert", lab_.file(client + ".pem"), "--key", lab_.file(client + ".key"), "-w",
                                marker + "%{http_code}", "https://localhost:" + std::to_string(port_) + "/mail"},
                               40s);
    response out;
    out.describe = r.describe();
    const auto at = r.out.rfind(marker);
    if (at != std::string::npos) {
      out.body = r.out.substr(0, at);
      out.status = static_cast<unsigned>(std::stoul("0" + r.out.substr(at + marker.size())));
    }
    return out;
  }

  std::string metrics() const {
    auto r = test::run_process({"curl", "-sS", "--noproxy", "*", "--max-time", "10",
                                "http://127.0.0.1:" + std::to_string(admin_port_) + "/metrics"},
                               20s);
    return r.out;
  }

  bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      for (const auto& l : logs_)
        if (l.find(text) != std::string::npos) return true;
      return false;
    });
  }

  std::string all_logs() {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& l : logs_) out += l + "\n";
    return out;
  }

 private:
  const revocation_lab& lab_;
  test::temp_dir dir_;
  test::recording_upstream upstream_;
  std::unique_ptr<server> server_;
  std::thread thread_;
  unsigned short port_ = 0;
  unsigned short admin_port_ = 0;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> logs_;
};

}  // namespace

TEST_CASE("a certificate revoked while the proxy runs is refused after SIGHUP") {
  revocation_lab lab;
  revocation_proxy proxy(lab, "    check: leaf\n    crl_files: [\"" + lab.file("issuing-ca.crl") + "\"]\n");

  const auto good = proxy.get("good");
  INFO(good.describe << "\n" << proxy.all_logs());
  CHECK(good.status == 200);
  const auto revoked = proxy.get("revoked");
  CHECK(revoked.status == 403);
  CHECK_THAT(revoked.body, Catch::Contains("revoked"));
  CHECK(proxy.wait_for_log("\"reason\":\"revoked\"", 10s));

  const auto before = proxy.get("victim");
  CHECK(before.status == 200);
  lab.revoke("issuing-ca", "victim");
  std::raise(SIGHUP);
  REQUIRE(proxy.wait_for_log("revocation_reloaded", 20s));
  const auto after = proxy.get("victim");
  CHECK(after.status == 403);
  CHECK_THAT(after.body, Catch::Contains("revoked"));

  const auto metrics = proxy.metrics();
  CHECK_THAT(metrics, Catch::Contains("cba_revocation_checks_total{outcome=\"revoked\"} 2"));
  CHECK_THAT(metrics, Catch::Contains("cba_revocation_reloads_total 1"));
}

TEST_CASE("a revocation is seen after the refresh interval without SIGHUP") {
  revocation_lab lab;
  revocation_proxy proxy(lab, "    check: leaf\n    refresh: 300ms\n    crl_files: [\"" + lab.file("issuing-ca.crl") +
                                  "\"]\n");
  CHECK(proxy.get("victim").status == 200);
  lab.revoke("issuing-ca", "victim");
  unsigned status = 200;
  for (int i = 0; i < 40 && status == 200; ++i) {  // generous bound, not a timing assertion
    std::this_thread::sleep_for(250ms);
    status = proxy.get("victim").status;
  }
  CHECK(status == 403);
}

TEST_CASE("OCSP through the proxy: hard refuses an unknown status, soft admits it") {
  revocation_lab lab;
  const std::string ocsp = "    check: leaf\n    ocsp: {enabled: true, timeout: 2s}\n";
  SECTION("hard (the default)") {
    revocation_proxy proxy(lab, ocsp);
    CHECK(proxy.get("good").status == 200);
    CHECK(proxy.get("revoked").status == 403);
    lab.set_down(true);
    const auto unknown = proxy.get("victim");
    INFO(unknown.describe << "\n" << proxy.all_logs());
    CHECK(unknown.status == 403);
    CHECK_THAT(unknown.body, Catch::Contains("revocation_unknown"));
  }
  SECTION("soft") {
    revocation_proxy proxy(lab, ocsp + "    mode: soft\n");
    lab.set_down(true);
    const auto admitted = proxy.get("victim");
    INFO(admitted.describe << "\n" << proxy.all_logs());
    CHECK(admitted.status == 200);
    CHECK(proxy.wait_for_log("revocation_unknown_admitted", 10s));
    CHECK_THAT(proxy.metrics(), Catch::Contains("cba_revocation_checks_total{outcome=\"unknown_admitted\"} 1"));
  }
}
