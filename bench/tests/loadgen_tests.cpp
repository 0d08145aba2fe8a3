// The load generator's pure parts: response framing, the latency histogram, option checks.

#include "bench/loadgen/latency_histogram.hpp"
#include "bench/loadgen/options.hpp"
#include "bench/loadgen/response_reader.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using cba::bench::latency_histogram;
using cba::bench::response_reader;
using state = response_reader::state;

namespace {

// Feeds TEXT in pieces of STEP bytes; returns the state after the last piece.
state feed_in_steps(response_reader& r, const std::string& text, std::size_t step) {
  state s = state::incomplete;
  for (std::size_t i = 0; i < text.size(); i += step) {
    s = r.feed(text.data() + i, std::min(step, text.size() - i));
    if (s != state::incomplete) return s;
  }
  return s;
}

std::optional<cba::bench::options> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "loadgen");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return cba::bench::parse_options(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

TEST_CASE("a Content-Length response completes exactly at its last byte, however it is split") {
  const std::string text = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  for (std::size_t step : {1U, 2U, 7U, 100U}) {
    response_reader r;
    CHECK(feed_in_steps(r, text.substr(0, text.size() - 1), step) == state::incomplete);
    CHECK(r.feed(text.data() + text.size() - 1, 1) == state::complete);
    CHECK(r.status() == 200);
    CHECK_FALSE(r.connection_close());
  }
}

TEST_CASE("a chunked response completes after the last chunk and the empty trailer line") {
  const std::string text =
      "HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";
  for (std::size_t step : {1U, 3U, 1000U}) {
    response_reader r;
    CHECK(feed_in_steps(r, text, step) == state::complete);
    CHECK(r.status() == 403);
    CHECK(r.connection_close());
  }
}

TEST_CASE("a reader is reusable after reset, and extra bytes after a response are an error") {
  response_reader r;
  const std::string one = "HTTP/1.1 204 No Content\r\n\r\n";
  CHECK(r.feed(one.data(), one.size()) == state::complete);
  r.reset();
  const std::string two = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxy";
  CHECK(r.feed(two.data(), two.size()) == state::error);
}

TEST_CASE("garbage and bodies delimited by the connection's end are refused") {
  response_reader r;
  const std::string garbage = "SSH-2.0-OpenSSH\r\n\r\n";
  CHECK(r.feed(garbage.data(), garbage.size()) == state::error);
  r.reset();
  const std::string until_eof = "HTTP/1.1 200 OK\r\n\r\nbody";
  CHECK(r.feed(until_eof.data(), until_eof.size()) == state::error);
}

TEST_CASE("histogram quantiles stay within 1.6 % of the exact values") {
  latency_histogram h;
  for (std::uint64_t v = 1; v <= 100000; ++v) h.record(v * 1000);  // 1 us .. 100 ms
  CHECK(h.count() == 100000);
  CHECK(h.max() == 100000000);
  for (double q : {0.5, 0.9, 0.99}) {
    const double exact = q * 100000 * 1000;
    CHECK(static_cast<double>(h.quantile(q)) == Approx(exact).epsilon(0.016));
  }
  latency_histogram other;
  other.record(5);
  h.merge(other);
  CHECK(h.count() == 100001);
  CHECK(latency_histogram{}.quantile(0.5) == 0);
}

TEST_CASE("options: loopback targets only, and both bounds are capped") {
  CHECK(parse({"--url", "https://127.0.0.1:8443/owa/"}).has_value());
  CHECK(parse({"--url", "http://localhost:8080/"}).has_value());
  CHECK_FALSE(parse({"--url", "https://10.1.2.3:443/"}).has_value());
  CHECK_FALSE(parse({"--url", "https://192.0.2.1:443/"}).has_value());
  CHECK_FALSE(parse({"--url", "https://127.0.0.1:8443/", "--duration", "601"}).has_value());
  CHECK_FALSE(parse({"--url", "https://127.0.0.1:8443/", "--requests", "100000001"}).has_value());
  CHECK_FALSE(parse({"--url", "http://127.0.0.1:8080/", "--mode", "resumed"}).has_value());
  const auto idle = parse({"--url", "https://127.0.0.1:8443/", "--mode", "idle"});
  REQUIRE(idle.has_value());
  CHECK(idle->max_operations == 10000);
}
