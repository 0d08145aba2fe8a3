#include "ldap/lookup_cache.hpp"

#include <catch2/catch.hpp>

using namespace cba::ldap;
using namespace std::chrono_literals;

namespace {

directory_account account(const std::string& sam) {
  directory_account a;
  a.sam_account_name = sam;
  a.upn = sam + "@example.test";
  return a;
}

const lookup_cache::clock::time_point t0{std::chrono::hours(1)};

}  // namespace

TEST_CASE("cached results are returned until their ttl passes") {
  lookup_cache cache(10);
  cache.store("alice@example.test", account("alice"), 5min, t0);
  const auto hit = cache.find("alice@example.test", t0 + 5min - 1ms);
  REQUIRE(hit);
  REQUIRE(hit->has_value());
  CHECK((*hit)->sam_account_name == "alice");
  CHECK_FALSE(cache.find("alice@example.test", t0 + 5min));
  CHECK(cache.size() == 0);  // the expired entry is gone
  CHECK_FALSE(cache.find("bob@example.test", t0));
}

TEST_CASE("negative results keep their error") {
  lookup_cache cache(10);
  cache.store("nobody@example.test", make_error_code(errc::not_found), 30s, t0);
  const auto hit = cache.find("nobody@example.test", t0 + 29s);
  REQUIRE(hit);
  CHECK(hit->error() == errc::not_found);
  CHECK_FALSE(cache.find("nobody@example.test", t0 + 30s));
}

TEST_CASE("a zero ttl or zero capacity stores nothing") {
  lookup_cache cache(10);
  cache.store("a", account("a"), 0s, t0);
  CHECK(cache.size() == 0);
  lookup_cache none(0);
  none.store("a", account("a"), 1h, t0);
  CHECK(none.size() == 0);
  CHECK_FALSE(none.find("a", t0));
}

TEST_CASE("beyond max_entries the least recently used entry goes") {
  lookup_cache cache(3);
  cache.store("a", account("a"), 1h, t0);
  cache.store("b", account("b"), 1h, t0);
  cache.store("c", account("c"), 1h, t0);
  CHECK(cache.find("a", t0));  // a is now the most recently used; b the least
  cache.store("d", account("d"), 1h, t0);
  CHECK(cache.size() == 3);
  CHECK_FALSE(cache.find("b", t0));
  CHECK(cache.find("a", t0));
  CHECK(cache.find("c", t0));
  CHECK(cache.find("d", t0));
}

TEST_CASE("storing an existing key replaces its value and expiry") {
  lookup_cache cache(3);
  cache.store("a", make_error_code(errc::not_found), 10s, t0);
  cache.store("a", account("a"), 1h, t0);
  CHECK(cache.size() == 1);
  const auto hit = cache.find("a", t0 + 30min);
  REQUIRE(hit);
  CHECK(hit->has_value());
}
