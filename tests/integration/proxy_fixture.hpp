#pragma once
// cba-proxy running in-process on port 0 in front of recording upstreams, configured from YAML text
// like a user would write it, with the test PKI of tests/pki. One fixture per test case.

#include "proxy/server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/raw_tls_client.hpp"
#include "tests/support/recording_upstream.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace cba::test {

// What differs between cases; everything else is the base config in proxy_fixture.cpp.
struct proxy_options {
  std::string required_ekus = "[client_auth]";
  std::string upn_sources = "[san_upn]";
  std::string allowed_upn_suffixes = "[]";
  bool ntauth = true;
  std::string certificate_mapping = "upn";  // directory.certificate_mapping: strong | compatibility | upn
  // When set, replaces the `type: file` / `file:` lines of the directory block (YAML lines indented by
  // two spaces), e.g. "  type: ldap\n  ldap:\n    urls: [...]\n" for the lab tests of tests/directory.
  std::string directory_source;
  // The listener's limits block (flow-style YAML map).
  std::string limits = "{handshake_timeout: 10s, header_timeout: 20s, idle_timeout: 60s}";
};

struct http_result {
  process_result process;
  unsigned status = 0;  // 0: no HTTP response (curl's %{http_code} 000)
  std::string body;
  std::string describe() const;
};

class proxy_fixture {
 public:
  explicit proxy_fixture(proxy_options options = {});
  ~proxy_fixture();
  proxy_fixture(const proxy_fixture&) = delete;
  proxy_fixture& operator=(const proxy_fixture&) = delete;

  const test_pki& pki() const { return pki_; }
  recording_upstream& upstream() { return *upstream_; }          // http: most routes
  recording_upstream& tls_upstream() { return *tls_upstream_; }  // https: /secure, /wrong-name
  boost::asio::ip::tcp::endpoint endpoint() const { return endpoint_; }
  std::optional<boost::asio::ip::tcp::endpoint> admin_endpoint() const { return admin_; }
  std::string url(std::string_view path) const;  // https://localhost:PORT/path

  // curl with --cert/--key of `client` (a test-PKI name; empty: no certificate).
  http_result curl(std::string_view client, std::string_view path, std::vector<std::string> extra = {},
                   std::chrono::seconds max_time = std::chrono::seconds(30)) const;
  // A raw TLS connection presenting `client`'s certificate; REQUIREs success.
  std::unique_ptr<raw_tls_client> connect(std::string_view client = "alice") const;
  tls_client_options client_options(std::string_view client) const;

  std::vector<std::string> log_lines() const;
  // Waits until some log line satisfies `pred` (log lines may trail the response).
  bool wait_for_log(const std::function<bool(const std::string&)>& pred, std::chrono::milliseconds timeout) const;
  // Waits until a log line carries "reason": `reason`.
  bool wait_for_reason(std::string_view reason, std::chrono::milliseconds timeout) const;

 private:
  const test_pki& pki_;
  temp_dir dir_;
  std::unique_ptr<recording_upstream> upstream_;
  std::unique_ptr<recording_upstream> tls_upstream_;
  std::unique_ptr<server> server_;
  std::thread run_thread_;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::optional<boost::asio::ip::tcp::endpoint> admin_;

  mutable std::mutex log_mutex_;
  mutable std::condition_variable log_changed_;
  std::vector<std::string> logs_;
};

// The value of a top-level string field of a JSON log line ("reason"), or nullopt.
std::optional<std::string> json_string_field(std::string_view line, std::string_view field);
// An unused loopback port (bound then released): for "upstream down".
unsigned short closed_port();
// Printable form of the first `max` bytes (\r \n and non-printables escaped) for failure messages.
std::string escape_bytes(std::string_view bytes, std::size_t max);
// Deterministic pseudo-random bytes (bodies whose corruption a hash would catch).
std::string pattern_bytes(std::size_t size, unsigned seed = 1);

}  // namespace cba::test
