// session_store: sessions kept in the proxy when no ticket key files are configured. TLS 1.3 sessions
// are taken out when offered, TLS 1.2 ones stay; every entry leaves after its lifetime; past its
// capacity the oldest leaves first; only full-length ids are stored.
#include "proxy/tls/resumption_policy.hpp"
#include "proxy/tls/session_store.hpp"

#include <catch2/catch.hpp>

using namespace cba;
using namespace std::chrono_literals;

namespace {

tls::session_store::session_id id_with(unsigned char first) {
  tls::session_store::session_id id{};
  id.fill(0x5a);
  id[0] = first;
  return id;
}

tls::stored_session stored(std::int64_t verified_at_ms) {
  tls::stored_session s;
  s.session.reset(SSL_SESSION_new());
  REQUIRE(s.session);
  s.verified_at_ms = verified_at_ms;
  s.chain = std::make_shared<tls::verified_ticket_chain>();
  return s;
}

}  // namespace

TEST_CASE("session store: a taken session is gone, a found one stays", "[resumption][store]") {
  tls::session_store store(16, 10s);
  const std::int64_t now = 1'000'000;
  store.insert(id_with(1), stored(now - 5), now);
  store.insert(id_with(2), stored(now - 7), now);
  REQUIRE(store.size() == 2);

  auto taken = store.take(id_with(1), now + 1);
  REQUIRE(taken);
  CHECK(taken->verified_at_ms == now - 5);
  CHECK(taken->session);
  CHECK_FALSE(store.take(id_with(1), now + 2));  // used once

  auto found = store.find(id_with(2), now + 1);
  REQUIRE(found);
  CHECK(found->verified_at_ms == now - 7);
  auto again = store.find(id_with(2), now + 2);
  REQUIRE(again);
  CHECK(again->session.get() == found->session.get());  // the same session, a reference each
  CHECK(store.size() == 1);

  store.erase(id_with(2));
  CHECK_FALSE(store.find(id_with(2), now + 3));
  CHECK_FALSE(store.take(id_with(9), now));  // never stored
}

TEST_CASE("session store: an entry leaves when its lifetime is up", "[resumption][store]") {
  tls::session_store store(16, 10s);
  const std::int64_t now = 5'000'000;
  store.insert(id_with(1), stored(now), now);
  CHECK(store.find(id_with(1), now + 9'999));
  CHECK_FALSE(store.find(id_with(1), now + 10'000));
  CHECK(store.size() == 0);
  store.insert(id_with(2), stored(now), now);
  CHECK_FALSE(store.take(id_with(2), now + 10'001));
}

TEST_CASE("session store: bounded, the oldest entry leaves first", "[resumption][store]") {
  tls::session_store store(3, 1h);
  const std::int64_t now = 7'000'000;
  for (unsigned char i = 1; i <= 3; ++i) store.insert(id_with(i), stored(now), now + i);
  CHECK(store.size() == 3);
  store.insert(id_with(4), stored(now), now + 4);
  CHECK(store.size() == 3);
  CHECK_FALSE(store.find(id_with(1), now + 5));
  CHECK(store.find(id_with(2), now + 5));
  CHECK(store.find(id_with(4), now + 5));

  // Taken entries free their room; the bookkeeping of taken ids stays bounded too.
  for (int round = 0; round < 100; ++round) {
    const auto id = id_with(static_cast<unsigned char>(10 + round % 200));
    store.insert(id, stored(now), now + 10 + round);
    CHECK(store.take(id, now + 10 + round));
  }
  CHECK(store.size() <= 3);
}

TEST_CASE("session store: only full-length ids", "[resumption][store]") {
  const unsigned char bytes[40] = {1, 2, 3};
  CHECK(tls::session_store::id_of(bytes, 32));
  CHECK_FALSE(tls::session_store::id_of(bytes, 31));
  CHECK_FALSE(tls::session_store::id_of(bytes, 33));
  CHECK_FALSE(tls::session_store::id_of(bytes, 0));
  CHECK_FALSE(tls::session_store::id_of(nullptr, 32));
}
