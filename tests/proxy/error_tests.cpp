#include "proxy/error.hpp"
#include "proxy/error_response.hpp"

#include <catch2/catch.hpp>

#include <set>

TEST_CASE("refusal reasons map to the statuses the brief names") {
  using cba::errc;
  CHECK(cba::to_http_status(errc::header_too_large) == 431);
  CHECK(cba::to_http_status(errc::too_many_headers) == 431);
  CHECK(cba::to_http_status(errc::body_too_large) == 413);
  CHECK(cba::to_http_status(errc::header_timeout) == 408);
  CHECK(cba::to_http_status(errc::smuggling_cl_te) == 400);
  CHECK(cba::to_http_status(errc::obs_fold) == 400);
  CHECK(cba::to_http_status(errc::upstream_connect_failed) == 502);
  CHECK(cba::to_http_status(errc::upstream_timeout) == 504);
  CHECK(cba::to_http_status(errc::directory_unavailable) == 503);
}

TEST_CASE("every identity refusal is 403, never 401") {
  using cba::errc;
  for (auto e : {errc::no_client_certificate, errc::chain_untrusted, errc::upn_missing, errc::upn_malformed,
                 errc::upn_ambiguous, errc::upn_suffix_not_allowed, errc::account_unknown,
                 errc::account_ambiguous, errc::account_disabled, errc::account_locked,
                 errc::account_expired, errc::mapping_not_supported}) {
    INFO(cba::reason_code(e));
    CHECK(cba::to_http_status(e) == 403);
  }
}

TEST_CASE("reason codes are stable snake_case names, distinct per reason") {
  std::set<std::string_view> seen;
  for (int value = 1; value <= static_cast<int>(cba::errc::too_many_connections); ++value) {
    const auto name = cba::reason_code(static_cast<cba::errc>(value));
    INFO(value);
    CHECK(name != "unknown");
    CHECK(seen.insert(name).second);
    CHECK(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string_view::npos);
  }
  CHECK(cba::reason_code(make_error_code(cba::errc::account_disabled)) == "account_disabled");
}

TEST_CASE("error responses name the reason, close the connection and carry no challenge") {
  auto response = cba::make_error_response(cba::errc::account_disabled, 403);
  CHECK(response.result_int() == 403);
  CHECK_FALSE(response.keep_alive());
  CHECK(response.find(boost::beast::http::field::www_authenticate) == response.end());
  CHECK(response.body().find("reason: account_disabled") != std::string::npos);
  CHECK(response[boost::beast::http::field::content_length] == std::to_string(response.body().size()));
}
