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
