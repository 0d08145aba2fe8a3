// loadgen: the mTLS load generator of bench/ (see bench/README.md and --help).
// Prints a human summary and one `RESULT key=value ...` line that bench/compare parses.

#include "bench/loadgen/loopback_target.hpp"
#include "bench/loadgen/options.hpp"
#include "bench/loadgen/process_stats.hpp"
#include "bench/loadgen/tls_client_context.hpp"
#include "bench/loadgen/worker.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace cba::bench;

double self_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

double ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

// Waits until PRED holds or DEADLINE passes; true when PRED held.
template <class Pred>
bool wait_for(Pred pred, clock::time_point deadline) {
  while (!pred()) {
    if (clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  bool help = false;
  for (int i = 1; i < argc; ++i) help = help || std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0;
  const auto parsed = parse_options(argc, argv);  // prints the usage on --help
  if (!parsed) return help ? 0 : 2;
  const options& o = *parsed;
  const auto target = resolve_loopback(o.host, o.port);
  if (!target) return 2;
  ssl_ctx_ptr ctx;
  if (o.tls) {
    ctx = make_client_context(o);
    if (!ctx) return 2;
  }

  run_control control(o.max_operations);
  std::vector<std::unique_ptr<worker>> workers;
  for (unsigned t = 0; t < o.threads; ++t) {
    const unsigned slots = o.connections / o.threads + (t < o.connections % o.threads ? 1 : 0);
    workers.push_back(std::make_unique<worker>(o, ctx.get(), *target, slots, control));
  }
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->run(); });

  // Unmeasured set-up (keepalive: connect every connection; resumed: one full handshake per slot).
  const bool ready = wait_for([&] { return control.ready.load() == o.threads; }, clock::now() + o.timeout);
  if (!ready) std::fprintf(stderr, "loadgen: warning: set-up did not finish within the timeout\n");

  const auto rss_before = rss_kib(o.server_pids);
  const auto cpu_before = cpu_seconds(o.server_pids);
  const double self_before = self_cpu_seconds();
  const auto t0 = clock::now();
  control.go.store(true, std::memory_order_release);

  wait_for([&] { return control.drained.load() == o.threads; }, t0 + o.duration);
  auto t_end = clock::now();
  std::optional<std::uint64_t> rss_after;
  std::int64_t held = 0;
  if (o.mode == load_mode::idle) {
    std::this_thread::sleep_for(o.idle_hold);  // let the server finish its per-connection work
    rss_after = rss_kib(o.server_pids);
    held = control.held.load();
  }
  const auto cpu_after = cpu_seconds(o.server_pids);
  const double self_after = self_cpu_seconds();
  control.stop.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();

  worker_result total;
  clock::time_point last_finish = t0;
  for (auto& w : workers) {
    const auto& r = w->result();
    total.latency.merge(r.latency);
    for (std::size_t k = 0; k < error_kind_count; ++k) total.errors[k] += r.errors[k];
    if (total.first_bad_status == 0) total.first_bad_status = r.first_bad_status;
    total.ok += r.ok;
    total.handshakes += r.handshakes;
    total.resumed += r.resumed;
    total.reconnects += r.reconnects;
    total.idle_lost += r.idle_lost;
    last_finish = std::max(last_finish, std::min(r.finished, t_end));
  }
  if (o.mode != load_mode::idle) t_end = last_finish;
  const double elapsed = std::chrono::duration<double>(t_end - t0).count();
  std::uint64_t errors = 0;
  for (auto e : total.errors) errors += e;
  const double ops = static_cast<double>(total.ok + errors);
  const double rate = elapsed > 0 ? static_cast<double>(total.ok) / elapsed : 0;

  std::printf("loadgen: %s %s://%s:%u%s  threads %u  connections %u  bounds %.1f s / %llu ops\n", to_string(o.mode),
              o.tls ? "https" : "http", o.host.c_str(), o.port, o.path.c_str(), o.threads, o.connections,
              static_cast<double>(o.duration.count()) / 1000.0, static_cast<unsigned long long>(o.max_operations));
  std::printf("  ok %llu  errors %llu", static_cast<unsigned long long>(total.ok), static_cast<unsigned long long>(errors));
  for (std::size_t k = 0; k < error_kind_count; ++k) {
    if (total.errors[k] != 0) {
      std::printf("  %s=%llu", to_string(static_cast<error_kind>(k)), static_cast<unsigned long long>(total.errors[k]));
    }
  }
  if (total.first_bad_status != 0) std::printf("  (first bad status %d)", total.first_bad_status);
  std::printf("\n  rate %.1f/s over %.3f s\n", rate, elapsed);
  std::printf("  latency ms  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n", ms(total.latency.quantile(0.50)),
              ms(total.latency.quantile(0.90)), ms(total.latency.quantile(0.99)), ms(total.latency.max()));
  if (o.tls) {
    std::printf("  handshakes %llu  resumed %llu  reconnects %llu\n",
                static_cast<unsigned long long>(total.handshakes), static_cast<unsigned long long>(total.resumed),
                static_cast<unsigned long long>(total.reconnects));
  }
  double server_cpu = -1, server_per_1k = -1;
  if (cpu_before && cpu_after && ops > 0) {
    server_cpu = *cpu_after - *cpu_before;
    server_per_1k = server_cpu / ops * 1000.0;
    std::printf("  server cpu %.2f s = %.4f s per 1000 operations\n", server_cpu, server_per_1k);
  } else if (!o.server_pids.empty()) {
    std::printf("  server cpu: cannot read /proc/PID/stat of the --server-pid list\n");
  }
  const double self_per_1k = ops > 0 ? (self_after - self_before) / ops * 1000.0 : 0;
  std::printf("  loadgen cpu %.2f s = %.4f s per 1000 operations\n", self_after - self_before, self_per_1k);
  double rss_per_conn = -1;
  if (o.mode == load_mode::idle) {
    if (rss_before && rss_after && held > 0) {
      rss_per_conn = (static_cast<double>(*rss_after) - static_cast<double>(*rss_before)) / static_cast<double>(held);
      std::printf("  server rss %llu KiB -> %llu KiB with %lld idle connections: %.2f KiB per connection\n",
                  static_cast<unsigned long long>(*rss_before), static_cast<unsigned long long>(*rss_after),
                  static_cast<long long>(held), rss_per_conn);
    }
    std::printf("  idle connections held %lld, closed by the server %llu\n", static_cast<long long>(held),
                static_cast<unsigned long long>(total.idle_lost));
  }
  std::printf("RESULT mode=%s ok=%llu errors=%llu rate=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f "
              "handshakes=%llu resumed=%llu server_cpu_s=%.3f server_cpu_per_1k=%.4f client_cpu_per_1k=%.4f "
              "held=%lld idle_lost=%llu rss_before_kib=%llu rss_after_kib=%llu rss_per_conn_kib=%.2f elapsed_s=%.3f\n",
              to_string(o.mode), static_cast<unsigned long long>(total.ok), static_cast<unsigned long long>(errors),
              rate, ms(total.latency.quantile(0.50)), ms(total.latency.quantile(0.90)),
              ms(total.latency.quantile(0.99)), ms(total.latency.max()),
              static_cast<unsigned long long>(total.handshakes), static_cast<unsigned long long>(total.resumed),
              server_cpu, server_per_1k, self_per_1k, static_cast<long long>(held),
              static_cast<unsigned long long>(total.idle_lost), static_cast<unsigned long long>(rss_before.value_or(0)),
              static_cast<unsigned long long>(rss_after.value_or(0)), rss_per_conn, elapsed);
  return total.ok > 0 ? 0 : 1;
}
