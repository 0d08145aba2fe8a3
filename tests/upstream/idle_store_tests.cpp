#include "proxy/upstream/idle_store.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <vector>

using cba::upstream::idle_store;
using conn = std::unique_ptr<int>;
using namespace std::chrono_literals;

namespace {
const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
constexpr auto forever = std::chrono::steady_clock::duration::max();
}  // namespace

TEST_CASE("idle_store returns a connection only under exactly its identity key", "[upstream][idle]") {
  idle_store<conn> store(8);
  std::vector<conn> closed;
  store.put("S-1-5-21-1-1104", std::make_unique<int>(1), t0, closed);

  CHECK(store.take("", t0, forever, closed) == nullptr);
  CHECK(store.take("S-1-5-21-1-110", t0, forever, closed) == nullptr);
  CHECK(store.take("S-1-5-21-1-11040", t0, forever, closed) == nullptr);
  CHECK(store.size() == 1);

  auto got = store.take("S-1-5-21-1-1104", t0, forever, closed);
  REQUIRE(got != nullptr);
  CHECK(*got == 1);
  CHECK(store.size() == 0);
  CHECK(closed.empty());
}

TEST_CASE("idle_store hands out the most recently idled connection of a key first", "[upstream][idle]") {
  idle_store<conn> store(8);
  std::vector<conn> closed;
  store.put("a", std::make_unique<int>(1), t0, closed);
  store.put("b", std::make_unique<int>(2), t0, closed);
  store.put("a", std::make_unique<int>(3), t0 + 1s, closed);

  CHECK(*store.take("a", t0 + 2s, forever, closed) == 3);
  CHECK(*store.take("a", t0 + 2s, forever, closed) == 1);
  CHECK(store.take("a", t0 + 2s, forever, closed) == nullptr);
  CHECK(*store.take("b", t0 + 2s, forever, closed) == 2);
}

TEST_CASE("idle_store evicts the oldest connection of any key at capacity", "[upstream][idle]") {
  idle_store<conn> store(2);
  std::vector<conn> closed;
  store.put("a", std::make_unique<int>(1), t0, closed);
  store.put("b", std::make_unique<int>(2), t0 + 1s, closed);
  store.put("b", std::make_unique<int>(3), t0 + 2s, closed);

  CHECK(store.size() == 2);
  REQUIRE(closed.size() == 1);
  CHECK(*closed.front() == 1);
  CHECK(store.take("a", t0 + 3s, forever, closed) == nullptr);
}

TEST_CASE("idle_store with capacity 0 keeps nothing", "[upstream][idle]") {
  idle_store<conn> store(0);
  std::vector<conn> closed;
  store.put("", std::make_unique<int>(1), t0, closed);
  CHECK(store.size() == 0);
  CHECK(closed.size() == 1);
}

TEST_CASE("idle_store drops connections idle for the limit or longer", "[upstream][idle]") {
  idle_store<conn> store(8);
  std::vector<conn> closed;
  store.put("a", std::make_unique<int>(1), t0, closed);
  store.put("b", std::make_unique<int>(2), t0 + 30s, closed);

  CHECK(store.take("a", t0 + 60s, 60s, closed) == nullptr);  // idle exactly 60 s: too old
  CHECK(closed.size() == 1);
  auto b = store.take("b", t0 + 60s, 60s, closed);  // idle 30 s
  REQUIRE(b != nullptr);
  CHECK(*b == 2);
}

TEST_CASE("idle_store take_all empties it", "[upstream][idle]") {
  idle_store<conn> store(8);
  std::vector<conn> closed;
  store.put("a", std::make_unique<int>(1), t0, closed);
  store.put("b", std::make_unique<int>(2), t0, closed);
  std::vector<conn> all;
  store.take_all(all);
  CHECK(all.size() == 2);
  CHECK(store.size() == 0);
  CHECK(store.take("a", t0, forever, closed) == nullptr);
}

TEST_CASE("idle_store take_preferring picks the caller's home first, then the newest of any home, never another key",
          "[upstream][idle]") {
  idle_store<conn> store(8);
  std::vector<conn> closed;
  constexpr idle_store<conn>::home_tag home_a = 0xA0, home_b = 0xB0;
  store.put("", std::make_unique<int>(1), t0, closed, home_a);
  store.put("", std::make_unique<int>(2), t0 + 1s, closed, home_b);
  store.put("", std::make_unique<int>(3), t0 + 2s, closed, home_b);
  store.put("S-1-5-21-1-1104", std::make_unique<int>(4), t0 + 3s, closed, home_a);

  // Home A's only "" connection, although B's are newer.
  auto first = store.take_preferring("", home_a, t0 + 5s, forever, closed);
  REQUIRE(first.conn != nullptr);
  CHECK(*first.conn == 1);
  CHECK(first.idle_for == 5s);
  // A has no "" connection left (its other one is another key's): the newest of any home.
  auto second = store.take_preferring("", home_a, t0 + 5s, forever, closed);
  REQUIRE(second.conn != nullptr);
  CHECK(*second.conn == 3);
  CHECK(second.idle_for == 3s);
  CHECK(*store.take_preferring("", home_a, t0 + 5s, forever, closed).conn == 2);
  CHECK(store.take_preferring("", home_a, t0 + 5s, forever, closed).conn == nullptr);
  CHECK(store.size() == 1);
  CHECK(closed.empty());
}
