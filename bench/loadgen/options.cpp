#include "bench/loadgen/options.hpp"

#include "bench/loadgen/loopback_target.hpp"

#include <charconv>
#include <cstdio>
#include <string_view>

namespace cba::bench {

const char* to_string(load_mode m) {
  switch (m) {
    case load_mode::full: return "full";
    case load_mode::resumed: return "resumed";
    case load_mode::keepalive: return "keepalive";
    case load_mode::idle: return "idle";
  }
  return "?";
}

namespace {

constexpr const char* usage_text =
    "usage: loadgen --url http[s]://127.0.0.1:PORT/PATH [options]\n"
    "  --mode full|resumed|keepalive|idle  (default keepalive)\n"
    "      full       new TLS connection per request, no resumption offered\n"
    "      resumed    new connection per request resuming the slot's last session (ticket); one\n"
    "                 unmeasured full handshake per connection slot first\n"
    "      keepalive  C connections, R requests each (then reconnect), no pipelining\n"
    "      idle       open N=--requests connections, one request each, then hold them idle and\n"
    "                 report the server's RSS growth per connection\n"
    "  --host NAME            Host header and SNI (default: the URL's host)\n"
    "  --cert FILE --key FILE client certificate chain and key (PEM)\n"
    "  --ca FILE              verify the server (default: no verification, it costs client CPU)\n"
    "  --tls 1.2|1.3|any      (default any)\n"
    "  --threads T            (default 1)    --connections C (default 16, at most 60000)\n"
    "  --per-connection R     keepalive: requests per connection, 0 = unlimited (default 0)\n"
    "  --requests N           count bound (default 1000000, at most 100000000; idle: default 10000)\n"
    "  --duration SECONDS     time bound of the measured phase (default 5, at most 600)\n"
    "  --timeout SECONDS      per operation (default 10)\n"
    "  --idle-hold SECONDS    idle: settle time before reading RSS (default 2)\n"
    "  --server-pid PID[,PID] server processes whose CPU (utime+stime) and RSS are reported\n";

template <class T>
bool parse_number(std::string_view text, T& out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && p == text.data() + text.size();
}

bool parse_seconds(std::string_view text, std::chrono::milliseconds& out, double max_s) {
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || p != text.data() + text.size() || !(v > 0) || v > max_s) return false;
  out = std::chrono::milliseconds(static_cast<long long>(v * 1000.0));
  return true;
}

bool parse_url(std::string_view url, options& o) {
  std::string_view rest;
  if (url.starts_with("https://")) {
    o.tls = true;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    o.tls = false;
    rest = url.substr(7);
  } else {
    return false;
  }
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  o.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  auto colon = authority.rfind(':');
  if (colon == std::string_view::npos) return false;
  o.host = std::string(authority.substr(0, colon));
  if (o.host.size() >= 2 && o.host.front() == '[' && o.host.back() == ']') o.host = o.host.substr(1, o.host.size() - 2);
  return parse_number(authority.substr(colon + 1), o.port) && o.port != 0;
}

bool parse_pids(std::string_view text, std::vector<int>& out) {
  while (!text.empty()) {
    auto comma = text.find(',');
    int pid = 0;
    if (!parse_number(text.substr(0, comma), pid) || pid <= 0) return false;
    out.push_back(pid);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return !out.empty();
}

}  // namespace

std::optional<options> parse_options(int argc, char** argv) {
  options o;
  bool have_url = false, have_requests = false;
  auto fail = [](const std::string& msg) -> std::optional<options> {
    std::fprintf(stderr, "loadgen: %s\n%s", msg.c_str(), usage_text);
    return std::nullopt;
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(usage_text, stdout);
      return std::nullopt;
    }
    if (i + 1 >= argc) return fail(std::string(arg) + " needs a value (or is unknown)");
    std::string_view v = argv[++i];
    bool good = true;
    if (arg == "--url") {
      good = parse_url(v, o);
      have_url = good;
    } else if (arg == "--mode") {
      if (v == "full") o.mode = load_mode::full;
      else if (v == "resumed") o.mode = load_mode::resumed;
      else if (v == "keepalive") o.mode = load_mode::keepalive;
      else if (v == "idle") o.mode = load_mode::idle;
      else good = false;
    } else if (arg == "--host") {
      o.host_header = v;
    } else if (arg == "--cert") {
      o.cert_chain = v;
    } else if (arg == "--key") {
      o.key = v;
    } else if (arg == "--ca") {
      o.ca = v;
    } else if (arg == "--tls") {
      good = v == "1.2" || v == "1.3" || v == "any";
      o.tls_version = v;
    } else if (arg == "--threads") {
      good = parse_number(v, o.threads) && o.threads >= 1 && o.threads <= 64;
    } else if (arg == "--connections") {
      good = parse_number(v, o.connections) && o.connections >= 1 && o.connections <= 60000;
    } else if (arg == "--per-connection") {
      good = parse_number(v, o.requests_per_connection);
    } else if (arg == "--requests") {
      good = parse_number(v, o.max_operations) && o.max_operations >= 1 && o.max_operations <= 100'000'000;
      have_requests = good;
    } else if (arg == "--duration") {
      good = parse_seconds(v, o.duration, 600);
    } else if (arg == "--timeout") {
      good = parse_seconds(v, o.timeout, 600);
    } else if (arg == "--idle-hold") {
      good = parse_seconds(v, o.idle_hold, 600);
    } else if (arg == "--server-pid") {
      good = parse_pids(v, o.server_pids);
    } else {
      return fail("unknown option " + std::string(arg));
    }
    if (!good) return fail("bad value for " + std::string(arg) + ": '" + std::string(v) + "'");
  }
  if (!have_url) return fail("--url http[s]://127.0.0.1:PORT/PATH is required");
  if (!is_loopback_host(o.host)) {
    return fail("refusing target '" + o.host + "': only loopback addresses (127.0.0.0/8, ::1, localhost)");
  }
  if (o.host_header.empty()) o.host_header = o.host;
  if (o.cert_chain.empty() != o.key.empty()) return fail("--cert and --key go together");
  if (!o.tls && (!o.cert_chain.empty() || o.mode == load_mode::resumed)) {
    return fail("--cert/--key and --mode resumed need an https:// URL");
  }
  if (o.mode == load_mode::idle && !have_requests) o.max_operations = 10000;
  if (o.mode == load_mode::idle && o.max_operations > 60000) return fail("--requests: idle holds at most 60000");
  if (o.connections < o.threads) o.connections = o.threads;
  return o;
}

}  // namespace cba::bench
