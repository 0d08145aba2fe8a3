#include "proxy/connection_tracker.hpp"

#include <catch2/catch.hpp>

TEST_CASE("drain closes idle connections at once and busy ones when their request ends") {
  cba::connection_tracker tracker;
  int closed_idle = 0;
  int closed_busy = 0;
  tracker.add(1, [&] { ++closed_idle; });
  tracker.add(2, [&] { ++closed_busy; });
  tracker.set_busy(2, true);
  CHECK_FALSE(tracker.draining());
  tracker.begin_drain();
  CHECK(tracker.draining());
  CHECK(closed_idle == 1);
  CHECK(closed_busy == 0);
  tracker.set_busy(2, false);
  CHECK(closed_busy == 1);
  tracker.remove(1);
  tracker.remove(2);
  CHECK(tracker.size() == 0);
}

TEST_CASE("close_all reaches every connection, busy or not") {
  cba::connection_tracker tracker;
  int closed = 0;
  tracker.add(1, [&] { ++closed; });
  tracker.add(2, [&] { ++closed; });
  tracker.set_busy(1, true);
  tracker.close_all();
  CHECK(closed == 2);
  CHECK(tracker.size() == 2);  // entries leave when their sessions end
}
