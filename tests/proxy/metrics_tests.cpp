#include "proxy/admin/metrics.hpp"

#include <catch2/catch.hpp>

TEST_CASE("metrics count refusals by reason and render Prometheus text") {
  cba::admin::metrics m;
  m.count_refusal(cba::errc::account_disabled);
  m.count_refusal(cba::errc::account_disabled);
  m.count_refusal(cba::errc::header_too_large);
  m.count_status(403);
  m.count_status(200);
  m.requests.fetch_add(2);
  m.handshakes_ok.fetch_add(3);
  m.handshakes_resumed.fetch_add(1);
  CHECK(m.refusals(cba::errc::account_disabled) == 2);
  CHECK(m.refusals(cba::errc::chain_untrusted) == 0);
  const auto text = m.render_prometheus();
  CHECK(text.find("cba_refusals_total{reason=\"account_disabled\"} 2\n") != std::string::npos);
  CHECK(text.find("cba_refusals_total{reason=\"header_too_large\"} 1\n") != std::string::npos);
  CHECK(text.find("cba_responses_total{class=\"4xx\"} 1\n") != std::string::npos);
  CHECK(text.find("cba_requests_total 2\n") != std::string::npos);
  CHECK(text.find("cba_handshakes_ok_total 3\n") != std::string::npos);
  CHECK(text.find("cba_handshakes_resumed_total 1\n") != std::string::npos);
  CHECK(text.find("chain_untrusted") == std::string::npos);
}

TEST_CASE("directory counters render as Prometheus text") {
  cba::ldap::directory_stats stats;
  stats.hits = 7;
  stats.misses = 3;
  stats.queries = 2;
  stats.cache_entries = 5;
  const auto text = cba::admin::render_directory_metrics(stats);
  CHECK(text.find("cba_directory_cache_hits_total 7\n") != std::string::npos);
  CHECK(text.find("cba_directory_cache_misses_total 3\n") != std::string::npos);
  CHECK(text.find("cba_directory_queries_total 2\n") != std::string::npos);
  CHECK(text.find("# TYPE cba_directory_cache_entries gauge\ncba_directory_cache_entries 5\n") != std::string::npos);
}

TEST_CASE("TLS cache gauges render per listener, label values escaped") {
  const std::vector<cba::admin::tls_cache_occupancy> listeners{{"edge", 7, 3, 2}, {"odd \"name\"\\x", 0, 1, 0}};
  const auto text = cba::admin::render_tls_cache_metrics(listeners);
  CHECK(text.find("# TYPE cba_tls_sessions_kept gauge\n") != std::string::npos);
  CHECK(text.find("cba_tls_sessions_kept{listener=\"edge\"} 7\n") != std::string::npos);
  CHECK(text.find("cba_tls_verdicts_cached{listener=\"edge\"} 3\n") != std::string::npos);
  CHECK(text.find("cba_tls_shared_ca_certificates{listener=\"edge\"} 2\n") != std::string::npos);
  CHECK(text.find("cba_tls_sessions_kept{listener=\"odd \\\"name\\\"\\\\x\"} 0\n") != std::string::npos);
  // One HELP/TYPE block per gauge, not per listener.
  std::size_t types = 0;
  for (auto at = text.find("# TYPE "); at != std::string::npos; at = text.find("# TYPE ", at + 1)) ++types;
  CHECK(types == 3);
}
