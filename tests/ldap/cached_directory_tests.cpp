#include "ldap/cached_directory.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <map>

using namespace cba::ldap;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// A backend whose answers are scripted per UPN and take a little while, so lookups overlap.
class fake_backend final : public directory {
 public:
  explicit fake_backend(asio::any_io_executor ex) : ex_(std::move(ex)) {}

  asio::awaitable<lookup_result> lookup(std::string_view upn) override {
    const std::string key(upn);
    ++calls[key];
    asio::steady_timer delay(ex_, 20ms);
    co_await delay.async_wait(asio::use_awaitable);
    const auto it = answers.find(key);
    if (it == answers.end()) co_return make_error_code(errc::not_found);
    co_return it->second;
  }
  bool ready() const noexcept override { return healthy; }
  directory_stats stats() const noexcept override {
    directory_stats s;
    s.queries = 42;
    return s;
  }

  std::map<std::string, lookup_result> answers;
  std::map<std::string, int> calls;
  bool healthy = true;

 private:
  asio::any_io_executor ex_;
};

directory_account account(const std::string& sam) {
  directory_account a;
  a.sam_account_name = sam;
  a.upn = sam + "@example.test";
  return a;
}

// Runs `count` concurrent lookups of `upn` to completion.
std::vector<lookup_result> lookup_all(asio::io_context& io, directory& dir, std::string upn, int count) {
  std::vector<lookup_result> results;
  for (int i = 0; i < count; ++i) {
    asio::co_spawn(io, [&dir, &results, upn]() -> asio::awaitable<void> {
      auto r = co_await dir.lookup(upn);
      results.push_back(std::move(r));
    }, asio::detached);
  }
  io.restart();
  io.run_for(5s);
  return results;
}

}  // namespace

TEST_CASE("concurrent misses for one UPN make one backend lookup") {
  asio::io_context io;
  fake_backend backend(io.get_executor());
  backend.answers["alice@example.test"] = account("alice");
  cached_directory dir(io.get_executor(), backend, {});
  const auto results = lookup_all(io, dir, "Alice@Example.Test", 10);
  REQUIRE(results.size() == 10);
  for (const auto& r : results) {
    REQUIRE(r.has_value());
    CHECK(r->sam_account_name == "alice");
  }
  CHECK(backend.calls["alice@example.test"] == 1);  // keyed by the lower-cased UPN
  const auto s = dir.stats();
  CHECK(s.misses == 10);
  CHECK(s.coalesced == 9);
  CHECK(s.hits == 0);
  CHECK(s.queries == 42);  // the backend's own counter
  CHECK(s.cache_entries == 1);

  // Now cached: no backend call, counted as hits.
  const auto again = lookup_all(io, dir, "alice@example.test", 3);
  REQUIRE(again.size() == 3);
  CHECK(again[0].has_value());
  CHECK(backend.calls["alice@example.test"] == 1);
  CHECK(dir.stats().hits == 3);
}

TEST_CASE("not_found is cached for negative_ttl, unavailable is never cached") {
  asio::io_context io;
  fake_backend backend(io.get_executor());
  backend.answers["down@example.test"] = make_error_code(errc::unavailable);
  cached_directory dir(io.get_executor(), backend, {});

  CHECK(lookup_all(io, dir, "nobody@example.test", 1).at(0).error() == errc::not_found);
  CHECK(lookup_all(io, dir, "nobody@example.test", 1).at(0).error() == errc::not_found);
  CHECK(backend.calls["nobody@example.test"] == 1);

  CHECK(lookup_all(io, dir, "down@example.test", 1).at(0).error() == errc::unavailable);
  CHECK(lookup_all(io, dir, "down@example.test", 1).at(0).error() == errc::unavailable);
  CHECK(backend.calls["down@example.test"] == 2);
  CHECK(dir.stats().errors == 2);

  // Once the directory answers again, the next lookup sees it.
  backend.answers["down@example.test"] = account("down");
  CHECK(lookup_all(io, dir, "down@example.test", 1).at(0).has_value());
}

TEST_CASE("concurrent misses share a failure too, and the next lookup retries") {
  asio::io_context io;
  fake_backend backend(io.get_executor());
  backend.answers["x@example.test"] = make_error_code(errc::timeout);
  cached_directory dir(io.get_executor(), backend, {});
  const auto results = lookup_all(io, dir, "x@example.test", 5);
  REQUIRE(results.size() == 5);
  for (const auto& r : results) CHECK(r.error() == errc::timeout);
  CHECK(backend.calls["x@example.test"] == 1);
  lookup_all(io, dir, "x@example.test", 1);
  CHECK(backend.calls["x@example.test"] == 2);
}

TEST_CASE("ttl zero disables positive caching; different UPNs do not coalesce") {
  asio::io_context io;
  fake_backend backend(io.get_executor());
  backend.answers["a@example.test"] = account("a");
  backend.answers["b@example.test"] = account("b");
  cache_options options;
  options.ttl = 0ms;
  cached_directory dir(io.get_executor(), backend, options);
  lookup_all(io, dir, "a@example.test", 1);
  lookup_all(io, dir, "a@example.test", 1);
  CHECK(backend.calls["a@example.test"] == 2);

  std::vector<lookup_result> both;
  for (const char* upn : {"a@example.test", "b@example.test"}) {
    asio::co_spawn(io, [&, upn]() -> asio::awaitable<void> { both.push_back(co_await dir.lookup(upn)); }, asio::detached);
  }
  io.restart();
  io.run_for(5s);
  REQUIRE(both.size() == 2);
  CHECK(backend.calls["b@example.test"] == 1);
  CHECK(dir.stats().coalesced == 0);
}

TEST_CASE("readiness is the backend's") {
  asio::io_context io;
  fake_backend backend(io.get_executor());
  cached_directory dir(io.get_executor(), backend, {});
  CHECK(dir.ready());
  backend.healthy = false;
  CHECK_FALSE(dir.ready());
}
