#pragma once
// A loopback HTTP/1.1 server (plain or TLS) that records everything it receives, for the integration
// tests: raw head bytes, parsed headers, the body and when its bytes arrived, connection count.
// Runs its own io thread; every accessor is thread-safe and every wait is bounded.

#include "tests/support/http_text.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cba::test {

struct body_arrival {
  std::chrono::steady_clock::time_point at;
  std::uint64_t total_bytes = 0;  // decoded body bytes received so far, this arrival included
};

struct recorded_request {
  std::size_t connection = 0;  // 0-based index of the connection it came on
  std::string raw_head;        // bytes as received, up to and including the empty line
  std::string method;
  std::string target;
  std::string version;
  header_list headers;
  std::string body;            // decoded (de-chunked) body bytes
  std::string wire_body_prefix;  // the first 64 KiB of the body as framed on the wire (chunk lines)
  bool chunked = false;        // the body arrived with Transfer-Encoding: chunked
  bool complete = false;       // the whole body arrived
  bool malformed = false;      // framing error; the connection was dropped
  std::chrono::steady_clock::time_point head_at;
  std::vector<body_arrival> arrivals;

  std::optional<std::string> header(std::string_view name) const { return find_header(headers, name); }
  std::vector<std::string> header_values(std::string_view name) const {
    return find_headers(headers, name);
  }
};

enum class echo_mode {
  none,     // answer with behaviour.body
  json,     // {"Header-Name": "value", ...} (repeated names joined with ", ")
  lines,    // "Name: value\n" per header, in order received
  summary,  // method, target and headers as readable text (the demo upstream)
};

struct upstream_behaviour {
  unsigned status = 200;
  std::string body = "upstream ok\n";
  std::string content_type = "text/plain";
  header_list extra_headers;
  bool chunked_response = false;
  std::size_t response_chunk_size = 1000;
  std::chrono::milliseconds delay{0};  // hold each response this long after the request arrived
  echo_mode echo = echo_mode::none;
  bool answer_100_continue = true;      // send "100 Continue" when the request asks for it
};

// Counters a wait predicate can look at without copying bodies.
struct upstream_progress {
  std::size_t connections = 0;
  std::size_t requests_started = 0;   // heads received
  std::size_t requests_complete = 0;  // bodies complete
  std::uint64_t raw_bytes = 0;        // every byte read from every connection (after TLS)
  std::uint64_t body_bytes = 0;       // decoded body bytes over all requests
};

class recording_upstream {
 public:
  struct options {
    std::string address = "127.0.0.1";
    unsigned short port = 0;
    std::string certificate_chain;  // both set: TLS
    std::string private_key;
    bool keep_records = true;       // false: count only (long-running demo)
  };

  recording_upstream();
  explicit recording_upstream(options opts);
  ~recording_upstream();
  recording_upstream(const recording_upstream&) = delete;
  recording_upstream& operator=(const recording_upstream&) = delete;

  unsigned short port() const noexcept;
  std::string url() const;  // "http://127.0.0.1:PORT" or "https://..."

  void set_behaviour(upstream_behaviour behaviour);

  upstream_progress progress() const;
  std::size_t connection_count() const { return progress().connections; }
  std::uint64_t raw_bytes_received() const { return progress().raw_bytes; }
  std::vector<recorded_request> requests() const;  // started ones too (check .complete)
  std::optional<recorded_request> request(std::size_t index) const;

  // Waits until `pred` holds (checked on every change); false on timeout.
  bool wait_until(const std::function<bool(const upstream_progress&)>& pred,
                  std::chrono::milliseconds timeout) const;
  bool wait_for_requests(std::size_t complete_count, std::chrono::milliseconds timeout) const;

  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

std::string json_escape(std::string_view s);

}  // namespace cba::test
