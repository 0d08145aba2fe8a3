#pragma once
// The load generator's command line: every run is bounded by a count and by a time, and only ever
// targets a loopback address (the benchmark must not become a traffic generator pointed elsewhere).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cba::bench {

enum class load_mode { full, resumed, keepalive, idle };

const char* to_string(load_mode m);

struct options {
  load_mode mode = load_mode::keepalive;
  bool tls = true;                 // https:// (false: http://, the ceiling runs against the upstream)
  std::string host = "127.0.0.1";  // from the URL: connect address (must be loopback)
  unsigned short port = 0;
  std::string path = "/";
  std::string host_header;         // --host; defaults to the URL's host (also the SNI when a name)
  std::string cert_chain;          // client certificate (+ chain), PEM
  std::string key;                 // its private key, PEM
  std::string ca;                  // verify the server against this bundle; empty: no verification
  std::string tls_version = "any"; // 1.2 | 1.3 | any
  unsigned threads = 1;
  unsigned connections = 16;       // concurrent connections (idle: concurrent openings)
  std::uint64_t requests_per_connection = 0;  // keepalive: reconnect after R requests; 0 = never
  std::uint64_t max_operations = 1'000'000;   // count bound (idle: number of connections to hold)
  std::chrono::milliseconds duration{5000};   // time bound of the measured phase
  std::chrono::milliseconds timeout{10000};   // per operation
  std::chrono::milliseconds idle_hold{2000};  // idle: wait before reading the server's RSS
  std::vector<int> server_pids;    // CPU (and idle: RSS) accounted to the server under test
};

// Parses argv; on a problem returns nullopt after printing a message naming the option.
std::optional<options> parse_options(int argc, char** argv);

}  // namespace cba::bench
