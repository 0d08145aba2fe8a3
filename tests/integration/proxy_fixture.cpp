#include "tests/integration/proxy_fixture.hpp"

#include "tests/support/load_config_or_fail.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>

#include <condition_variable>
#include <stdexcept>

namespace cba::test {

namespace {

std::string base_config(const test_pki& pki, const proxy_options& o, unsigned short app_port,
                        unsigned short tls_port, unsigned short down_port) {
  const auto p = [&](std::string_view name) { return "\"" + pki.file(name) + "\""; };
  const auto http = [](unsigned short port) { return "\"http://127.0.0.1:" + std::to_string(port) + "\""; };
  std::string y;
  y += "listeners:\n";
  y += "  - name: edge\n";
  y += "    address: \"127.0.0.1:0\"\n";
  y += "    tls:\n";
  y += "      certificate_chain: " + p("server-chain.pem") + "\n";
  y += "      private_key: " + p("server.key") + "\n";
  y += "      min_version: \"1.2\"\n";
  y += "      client_certificate: require\n";
  y += "    limits: " + o.limits + "\n";
  y += "trust:\n";
  y += "  roots: " + p("roots.pem") + "\n";
  y += "  intermediates: " + p("intermediates.pem") + "\n";
  if (o.ntauth) y += "  ntauth: " + p("ntauth.pem") + "\n";
  y += "  required_ekus: " + o.required_ekus + "\n";
  y += "identity:\n";
  y += "  upn_sources: " + o.upn_sources + "\n";
  y += "  allowed_upn_suffixes: " + o.allowed_upn_suffixes + "\n";
  y += "directory:\n";
  if (o.directory_source.empty()) {
    y += "  type: file\n";
    y += "  file: {path: " + p("users.yaml") + "}\n";
  } else {
    y += o.directory_source;
  }
  y += "  certificate_mapping: " + o.certificate_mapping + "\n";
  y += "upstreams:\n";
  y += "  - {name: app, url: " + http(app_port) + ", connect_timeout: 2s}\n";
  y += "  - name: app-tls\n";
  y += "    url: \"https://127.0.0.1:" + std::to_string(tls_port) + "\"\n";
  y += "    tls: {ca: " + p("upstream-ca.pem") + ", server_name: upstream.example.test}\n";
  y += "    connect_timeout: 2s\n";
  y += "  - name: app-tls-wrong-name\n";
  y += "    url: \"https://127.0.0.1:" + std::to_string(tls_port) + "\"\n";
  y += "    tls: {ca: " + p("upstream-ca.pem") + ", server_name: wrong.example.test}\n";
  y += "    connect_timeout: 2s\n";
  y += "  - {name: down, url: " + http(down_port) + ", connect_timeout: 2s}\n";
  y += "routes:\n";
  y += "  - {path_prefix: /, upstream: app, auth: headers}\n";
  y += "  - {path_prefix: /upload, upstream: app, auth: headers, max_body_bytes: 64MiB}\n";
  y += "  - {path_prefix: /limited, upstream: app, auth: headers, max_body_bytes: 1MiB}\n";
  y += "  - {path_prefix: /hold-long, upstream: app, auth: headers, idle_timeout: 40s}\n";
  y += "  - {path_prefix: /hold-short, upstream: app, auth: headers, idle_timeout: 5s}\n";
  y += "  - {path_prefix: /secure, upstream: app-tls, auth: headers}\n";
  y += "  - {path_prefix: /wrong-name, upstream: app-tls-wrong-name, auth: headers}\n";
  y += "  - {path_prefix: /down, upstream: down, auth: headers}\n";
  y += "identity_headers:\n";
  y += "  set:\n";
  y += "    X-Remote-User: \"{sam_account_name}\"\n";
  y += "    X-Client-UPN: \"{upn}\"\n";
  y += "    X-Client-SID: \"{sid}\"\n";
  y += "    X-Cert-SHA256: \"{cert_sha256}\"\n";
  y += "    X-Cert-Serial: \"{cert_serial}\"\n";
  y += "    X-Cert-RFC9440: \"{cert_rfc9440}\"\n";
  y += "  strip: [X-Forwarded-User]\n";
  y += "admin:\n";
  y += "  address: \"127.0.0.1:0\"\n";
  y += "runtime: {io_threads: 2}\n";
  return y;
}

}  // namespace

std::string http_result::describe() const {
  return "HTTP status " + std::to_string(status) + "\nbody: " + body.substr(0, 2000) + "\ncurl " + process.describe();
}

proxy_fixture::proxy_fixture(proxy_options options) : pki_(test_pki::get()), dir_("cba-integration") {
  upstream_ = std::make_unique<recording_upstream>();
  recording_upstream::options tls;
  tls.certificate_chain = pki_.chain("upstream");
  tls.private_key = pki_.key("upstream");
  tls_upstream_ = std::make_unique<recording_upstream>(tls);

  const std::string yaml = base_config(pki_, options, upstream_->port(), tls_upstream_->port(), closed_port());
  dir_.write("cba-proxy.yaml", yaml);
  const auto cfg = load_config_or_fail(yaml, dir_);

  server_options server_opts;
  server_opts.log_sink = [this](const std::string& line) {
    {
      std::lock_guard lock(log_mutex_);
      logs_.push_back(line);
    }
    log_changed_.notify_all();
  };
  server_ = std::make_unique<server>(cfg, std::move(server_opts));
  server_->start();
  auto endpoints = server_->listener_endpoints();
  REQUIRE(endpoints.size() == 1);
  endpoint_ = endpoints.front();
  admin_ = server_->admin_endpoint();
  run_thread_ = std::thread([this] { server_->run(); });
}

proxy_fixture::~proxy_fixture() {
  if (server_) server_->stop();
  if (run_thread_.joinable()) run_thread_.join();
  server_.reset();
}

std::string proxy_fixture::url(std::string_view path) const {
  return "https://localhost:" + std::to_string(endpoint_.port()) + std::string(path);
}

http_result proxy_fixture::curl(std::string_view client, std::string_view path, std::vector<std::string> extra,
                                std::chrono::seconds max_time) const {
  static constexpr std::string_view marker = "\n@@cba-status@@";
  std::vector<std::string> argv{"curl", "-sS", "--noproxy", "*", "--max-time", std::to_string(max_time.count()),
                                "--cacert", pki_.file("roots.pem"), "-w", std::string(marker) + "%{http_code}"};
  if (!client.empty()) {
    argv.insert(argv.end(), {"--cert", pki_.cert(client), "--key", pki_.key(client)});
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(url(path));
  http_result r;
  r.process = run_process(argv, max_time + std::chrono::seconds(10));
  auto at = r.process.out.rfind(marker);
  if (at != std::string::npos) {
    r.body = r.process.out.substr(0, at);
    r.status = static_cast<unsigned>(std::stoul("0" + r.process.out.substr(at + marker.size())));
  }
  return r;
}

tls_client_options proxy_fixture::client_options(std::string_view client) const {
  tls_client_options o;
  if (!client.empty()) {
    o.cert_file = pki_.cert(client);
    o.key_file = pki_.key(client);
  }
  o.ca_file = pki_.file("roots.pem");
  o.server_name = "localhost";
  return o;
}

std::unique_ptr<raw_tls_client> proxy_fixture::connect(std::string_view client) const {
  auto c = std::make_unique<raw_tls_client>();
  auto ec = c->connect(endpoint_, client_options(client), std::chrono::seconds(10));
  INFO("TLS connect as " << client << ": " << ec.message());
  REQUIRE_FALSE(ec);
  return c;
}

std::vector<std::string> proxy_fixture::log_lines() const {
  std::lock_guard lock(log_mutex_);
  return logs_;
}

bool proxy_fixture::wait_for_log(const std::function<bool(const std::string&)>& pred,
                                 std::chrono::milliseconds timeout) const {
  std::unique_lock lock(log_mutex_);
  return log_changed_.wait_for(lock, timeout, [&] {
    for (const auto& line : logs_)
      if (pred(line)) return true;
    return false;
  });
}

bool proxy_fixture::wait_for_reason(std::string_view reason, std::chrono::milliseconds timeout) const {
  return wait_for_log([&](const std::string& line) { return json_string_field(line, "reason") == reason; }, timeout);
}

std::optional<std::string> json_string_field(std::string_view line, std::string_view field) {
  const std::string key = "\"" + std::string(field) + "\"";
  auto at = line.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  auto rest = line.substr(at + key.size());
  auto colon = rest.find_first_not_of(" \t");
  if (colon == std::string_view::npos || rest[colon] != ':') return std::nullopt;
  auto quote = rest.find_first_not_of(" \t", colon + 1);
  if (quote == std::string_view::npos || rest[quote] != '"') return std::nullopt;
  std::string value;
  for (auto i = quote + 1; i < rest.size(); ++i) {
    if (rest[i] == '\\' && i + 1 < rest.size()) {
      value += rest[++i];
    } else if (rest[i] == '"') {
      return value;
    } else {
      value += rest[i];
    }
  }
  return std::nullopt;
}

unsigned short closed_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

std::string escape_bytes(std::string_view bytes, std::size_t max) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes.substr(0, max)) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (u >= 0x20 && u < 0x7f && c != '\\') {
      out += c;
    } else {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  if (bytes.size() > max) out += "...";
  return out;
}

std::string pattern_bytes(std::size_t size, unsigned seed) {
  std::string out(size, '\0');
  std::uint32_t x = seed * 2654435761u + 1u;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xff);
  }
  return out;
}

}  // namespace cba::test
