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
  CHECK(m.refusals(cba::errc::account_disabled) == 2);
  CHECK(m.refusals(cba::errc::chain_untrusted) == 0);
  const auto text = m.render_prometheus();
  CHECK(text.find("cba_refusals_total{reason=\"account_disabled\"} 2\n") != std::string::npos);
  CHECK(text.find("cba_refusals_total{reason=\"header_too_large\"} 1\n") != std::string::npos);
  CHECK(text.find("cba_responses_total{class=\"4xx\"} 1\n") != std::string::npos);
  CHECK(text.find("cba_requests_total 2\n") != std::string::npos);
  CHECK(text.find("chain_untrusted") == std::string::npos);
}
