// bench/directory/ldap_lookup: what an Active Directory lookup costs cba-proxy, against the Samba AD lab
// (tests/lab). Prints, for the lab's DC over ldaps://:
//   - the first lookup of a new directory (TCP + TLS + simple bind + search + base read),
//   - uncached lookups one at a time (the latency a request pays on a cache miss) as p50/p90/p99/max,
//   - uncached lookups from 20 concurrent callers over a pool of 4 connections (lookups/s),
//   - cached lookups (ns each) and the directory's hit/miss/query counters.
// Usage: CBA_LAB_DIR=/tmp/cba-lab ldap_lookup [SERIAL_COUNT] [PARALLEL_COUNT]   (bounded: at most 100000)
#include "ldap/ldap_directory.hpp"
#include "tests/ldap/lab_env.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;
using cba::test::lab_env;

std::string user(int i) { return (i < 10 ? "user0" : "user") + std::to_string(i) + "@example.test"; }

double micros(clock_type::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

struct run_result {
  clock_type::duration wall{};
  std::vector<double> latencies_us;
  int failures = 0;
};

// `count` lookups of user01..user20 from `workers` coroutines on one io_context (a session's view).
run_result run(cba::ldap::directory& dir, int workers, int count) {
  asio::io_context io;
  run_result r;
  r.latencies_us.reserve(static_cast<std::size_t>(count));
  const auto start = clock_type::now();
  for (int w = 0; w < workers; ++w) {
    asio::co_spawn(io, [&, w]() -> asio::awaitable<void> {
      for (int i = w; i < count; i += workers) {
        const auto t = clock_type::now();
        const auto found = co_await dir.lookup(user(1 + i % 20));
        r.latencies_us.push_back(micros(clock_type::now() - t));
        if (!found) ++r.failures;
      }
    }, asio::detached);
  }
  io.run();
  r.wall = clock_type::now() - start;
  std::sort(r.latencies_us.begin(), r.latencies_us.end());
  return r;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[index];
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  const int serial_count = std::clamp(argc > 1 ? std::atoi(argv[1]) : 2000, 1, 100000);
  const int parallel_count = std::clamp(argc > 2 ? std::atoi(argv[2]) : 10000, 1, 100000);
  try {
    const auto& lab = lab_env::get();
    auto uncached = lab.options(lab.at("LAB_LDAPS_URL"));  // cache ttl 0: every lookup asks the DC
    uncached.client.pool_size = 4;
    const auto t0 = clock_type::now();
    cba::ldap::ldap_directory cold(uncached);
    const auto first = run(cold, 1, 1);
    const auto first_us = micros(clock_type::now() - t0);
    const auto serial = run(cold, 1, serial_count);
    const auto parallel = run(cold, 20, parallel_count);

    auto options = lab.options(lab.at("LAB_LDAPS_URL"));
    options.cache.ttl = std::chrono::minutes(5);
    cba::ldap::ldap_directory cached(options);
    run(cached, 1, 20);  // fill
    const int hit_count = 200000;
    const auto hits = run(cached, 1, hit_count);

    std::printf("first lookup (TCP+TLS+bind+search): %.0f us%s\n", first_us, first.failures ? " FAILED" : "");
    std::printf("uncached, one at a time (%d): p50 %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us, failures %d\n",
                serial_count, percentile(serial.latencies_us, 0.5), percentile(serial.latencies_us, 0.9),
                percentile(serial.latencies_us, 0.99), serial.latencies_us.back(), serial.failures);
    std::printf("uncached, 20 concurrent over a pool of 4 (%d): %.0f lookups/s, p99 %.0f us, failures %d\n",
                parallel_count, parallel_count / std::chrono::duration<double>(parallel.wall).count(),
                percentile(parallel.latencies_us, 0.99), parallel.failures);
    std::printf("cached (%d): %.0f ns each; counters: hits %llu, misses %llu, queries %llu\n", hit_count,
                std::chrono::duration<double, std::nano>(hits.wall).count() / hit_count,
                static_cast<unsigned long long>(cached.stats().hits),
                static_cast<unsigned long long>(cached.stats().misses),
                static_cast<unsigned long long>(cached.stats().queries));
    return first.failures + serial.failures + parallel.failures + hits.failures == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ldap_lookup: %s\n", e.what());
    return 2;
  }
}
