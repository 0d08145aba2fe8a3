#pragma once
// Process counters, rendered as Prometheus text on the admin listener. Lock-free: one relaxed atomic
// per counter, so the data path never contends on a metrics lock.

#include "ldap/directory_stats.hpp"
#include "proxy/error.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace cba::admin {

class metrics {
 public:
  static constexpr std::size_t reason_slots = 64;

  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::int64_t> connections_active{0};
  std::atomic<std::uint64_t> handshakes_ok{0};
  std::atomic<std::uint64_t> handshakes_resumed{0};  // of handshakes_ok: sessions resumed
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> bytes_from_clients{0};
  std::atomic<std::uint64_t> bytes_to_clients{0};
  std::atomic<std::uint64_t> directory_lookups{0};

  void count_status(unsigned status) noexcept;
  // One refusal/failure, by reason (handshake refusals and request refusals alike).
  void count_refusal(errc reason) noexcept;
  std::uint64_t refusals(errc reason) const noexcept;

  std::string render_prometheus() const;

 private:
  std::array<std::atomic<std::uint64_t>, 6> status_classes_{};  // 1xx..5xx, index 0 unused
  std::array<std::atomic<std::uint64_t>, reason_slots> refusals_{};
};

// The directory's lookup and cache counters in Prometheus text (cba_directory_*).
std::string render_directory_metrics(const ldap::directory_stats& stats);

// What one listener's TLS resumption policy holds in memory now (bounded caches an admin sizes
// memory by).
struct tls_cache_occupancy {
  std::string listener;
  std::size_t kept_sessions = 0;
  std::size_t verdicts = 0;
  std::size_t shared_cas = 0;
};
// cba_tls_sessions_kept, cba_tls_verdicts_cached, cba_tls_shared_ca_certificates: gauges by listener.
std::string render_tls_cache_metrics(const std::vector<tls_cache_occupancy>& listeners);

}  // namespace cba::admin
