#pragma once
// One in-process cba-proxy (port 0) with session tickets, in front of a recording upstream, for the
// resumption and re-check tests. Several may run at once (instances sharing ticket key files).

#include "proxy/server.hpp"
#include "tests/resumption/session_client.hpp"
#include "tests/support/recording_upstream.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cba::test {

struct instance_options {
  std::vector<std::string> key_files;       // absolute paths; empty: random key per process
  std::string recheck_interval = "5m";
  bool ntauth = true;
  std::string certificate_mapping = "upn";
  std::string directory_source;             // replaces "  type: file\n  file: {...}\n"
};

class proxy_instance {
 public:
  explicit proxy_instance(instance_options options = {});
  ~proxy_instance();
  proxy_instance(const proxy_instance&) = delete;
  proxy_instance& operator=(const proxy_instance&) = delete;

  unsigned short port() const noexcept { return port_; }
  unsigned short admin_port() const noexcept { return admin_port_; }
  recording_upstream& upstream() { return *upstream_; }
  // Client options presenting the test-PKI certificate `name` (cert + key files given explicitly
  // when `cert_file` is set).
  session_client_options client(const std::string& name, int max_version = TLS1_3_VERSION) const;

  std::vector<std::string> log_lines() const;
  // Waits for a log line containing every one of `parts`.
  bool wait_for_log(const std::vector<std::string>& parts, std::chrono::milliseconds timeout) const;
  std::size_t count_log(const std::vector<std::string>& parts) const;
  bool wait_for_count(const std::vector<std::string>& parts, std::size_t count, std::chrono::milliseconds timeout) const;

 private:
  const test_pki& pki_;
  temp_dir dir_;
  std::unique_ptr<recording_upstream> upstream_;
  std::unique_ptr<server> server_;
  std::thread run_thread_;
  unsigned short port_ = 0;
  unsigned short admin_port_ = 0;
  mutable std::mutex log_mutex_;
  mutable std::condition_variable log_changed_;
  std::vector<std::string> logs_;
};

// Writes `bytes` to `path` (replacing it).
void write_key_file(const std::string& path, const std::string& bytes);
// 80 random bytes (a fresh ticket key).
std::string random_ticket_key();

}  // namespace cba::test
