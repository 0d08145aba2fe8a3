#include "tests/resumption/proxy_instance.hpp"

#include "config/load.hpp"

#include <catch2/catch.hpp>

#include <openssl/rand.h>

#include <stdexcept>

namespace cba::test {
namespace {

bool contains_all(const std::string& line, const std::vector<std::string>& parts) {
  for (const auto& part : parts)
    if (line.find(part) == std::string::npos) return false;
  return true;
}

std::string config_yaml(const test_pki& pki, const instance_options& o, unsigned short upstream_port) {
  const auto p = [&](std::string_view name) { return "\"" + pki.file(name) + "\""; };
  std::string keys;
  for (const auto& file : o.key_files) keys += (keys.empty() ? "" : ", ") + ("\"" + file + "\"");
  std::string y;
  y += "listeners:\n";
  y += "  - name: edge\n";
  y += "    address: \"127.0.0.1:0\"\n";
  y += "    tls:\n";
  y += "      certificate_chain: " + p("server-chain.pem") + "\n";
  y += "      private_key: " + p("server.key") + "\n";
  y += "      client_certificate: require\n";
  if (!o.key_files.empty()) y += "      session_tickets: {key_files: [" + keys + "]}\n";
  y += "    limits: {handshake_timeout: 10s, header_timeout: 20s, idle_timeout: 60s}\n";
  y += "trust:\n";
  y += "  roots: " + p("roots.pem") + "\n";
  y += "  intermediates: " + p("intermediates.pem") + "\n";
  if (o.ntauth) y += "  ntauth: " + p("ntauth.pem") + "\n";
  y += "  recheck_interval: " + o.recheck_interval + "\n";
  y += "directory:\n";
  y += o.directory_source.empty() ? "  type: file\n  file: {path: " + p("users.yaml") + "}\n" : o.directory_source;
  y += "  certificate_mapping: " + o.certificate_mapping + "\n";
  y += "upstreams:\n";
  y += "  - {name: app, url: \"http://127.0.0.1:" + std::to_string(upstream_port) + "\", connect_timeout: 2s}\n";
  y += "routes:\n";
  y += "  - {path_prefix: /, upstream: app, auth: headers}\n";
  y += "identity_headers:\n";
  y += "  set: {X-Remote-User: \"{sam_account_name}\", X-Client-UPN: \"{upn}\", X-Cert-SHA256: \"{cert_sha256}\"}\n";
  y += "admin: {address: \"127.0.0.1:0\"}\n";
  y += "log: {level: debug}\n";
  y += "runtime: {io_threads: 2}\n";
  return y;
}

}  // namespace

proxy_instance::proxy_instance(instance_options options) : pki_(test_pki::get()), dir_("cba-resumption") {
  upstream_ = std::make_unique<recording_upstream>();
  const auto yaml = config_yaml(pki_, options, upstream_->port());
  dir_.write("cba-proxy.yaml", yaml);
  auto loaded = config::load_text(yaml, dir_.file("cba-proxy.yaml"), dir_.path().string(), nullptr);
  if (!loaded.config) {
    std::string all;
    for (const auto& problem : loaded.problems) all += config::format(problem) + "\n";
    FAIL("the test config does not load:\n" << all << "\n" << yaml);
  }
  server_options server_opts;
  server_opts.log_sink = [this](const std::string& line) {
    {
      const std::lock_guard lock(log_mutex_);
      logs_.push_back(line);
    }
    log_changed_.notify_all();
  };
  server_ = std::make_unique<server>(*loaded.config, std::move(server_opts));
  server_->start();
  port_ = server_->listener_endpoints().at(0).port();
  admin_port_ = server_->admin_endpoint().value().port();
  run_thread_ = std::thread([this] { server_->run(); });
}

proxy_instance::~proxy_instance() {
  if (server_) server_->stop();
  if (run_thread_.joinable()) run_thread_.join();
  server_.reset();
}

session_client_options proxy_instance::client(const std::string& name, int max_version) const {
  session_client_options o;
  o.cert_file = pki_.cert(name);
  o.key_file = pki_.key(name);
  o.ca_file = pki_.file("roots.pem");
  o.max_version = max_version;
  return o;
}

std::vector<std::string> proxy_instance::log_lines() const {
  const std::lock_guard lock(log_mutex_);
  return logs_;
}

bool proxy_instance::wait_for_log(const std::vector<std::string>& parts, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(log_mutex_);
  return log_changed_.wait_for(lock, timeout, [&] {
    for (const auto& line : logs_)
      if (contains_all(line, parts)) return true;
    return false;
  });
}

std::size_t proxy_instance::count_log(const std::vector<std::string>& parts) const {
  const std::lock_guard lock(log_mutex_);
  std::size_t n = 0;
  for (const auto& line : logs_)
    if (contains_all(line, parts)) ++n;
  return n;
}

bool proxy_instance::wait_for_count(const std::vector<std::string>& parts, std::size_t count,
                                    std::chrono::milliseconds timeout) const {
  std::unique_lock lock(log_mutex_);
  return log_changed_.wait_for(lock, timeout, [&] {
    std::size_t n = 0;
    for (const auto& line : logs_)
      if (contains_all(line, parts)) ++n;
    return n >= count;
  });
}

void write_key_file(const std::string& path, const std::string& bytes) { write_file(path, bytes); }

std::string random_ticket_key() {
  std::string key(80, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), 80) != 1) throw std::runtime_error("RAND_bytes");
  return key;
}

}  // namespace cba::test
