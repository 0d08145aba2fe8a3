// The upstream side: per-route idle timeouts (EAS Ping), https upstreams with CA and server name,
// connect failures, keep-alive; and the admin listener.

#include "tests/integration/proxy_fixture.hpp"

#include <catch2/catch.hpp>

#include <future>

using namespace cba::test;
using namespace std::chrono_literals;

TEST_CASE("a request held 30 s completes under idle_timeout 40s and is cut with 504 under 5s", "[upstream][slow]") {
  proxy_fixture fx;
  upstream_behaviour b;
  b.delay = 30s;
  b.body = "pong\n";
  fx.upstream().set_behaviour(b);
  auto long_wait = std::async(std::launch::async, [&] { return fx.curl("alice", "/hold-long/ping", {}, 60s); });
  auto short_wait = fx.curl("alice", "/hold-short/ping", {}, 60s);
  auto held = long_wait.get();
  {
    INFO(short_wait.describe());
    CHECK(short_wait.status == 504);
    CHECK(short_wait.body.find("reason: upstream_timeout") != std::string::npos);
  }
  {
    INFO(held.describe());
    CHECK(held.status == 200);
    CHECK(held.body == "pong\n");
  }
}

TEST_CASE("an https upstream is verified against tls.ca and tls.server_name", "[upstream]") {
  proxy_fixture fx;
  auto r = fx.curl("alice", "/secure/x");
  INFO(r.describe());
  CHECK(r.status == 200);
  REQUIRE(fx.tls_upstream().wait_for_requests(1, 5s));
  CHECK(fx.tls_upstream().request(0)->header("X-Remote-User") == "alice");
  CHECK(fx.upstream().progress().connections == 0);
}

TEST_CASE("an https upstream whose certificate does not match server_name gets 502", "[upstream]") {
  proxy_fixture fx;
  auto r = fx.curl("alice", "/wrong-name/x");
  INFO(r.describe());
  CHECK(r.status == 502);
  CHECK(fx.tls_upstream().progress().requests_started == 0);
}

TEST_CASE("an upstream that is down gets 502", "[upstream]") {
  proxy_fixture fx;
  auto r = fx.curl("alice", "/down/x");
  INFO(r.describe());
  CHECK(r.status == 502);
  CHECK(r.body.find("reason: upstream_connect_failed") != std::string::npos);
}

TEST_CASE("keep-alive: two requests on one client connection, one upstream connection", "[upstream]") {
  proxy_fixture fx;
  auto c = fx.connect();
  for (int i = 0; i < 2; ++i) {
    REQUIRE_FALSE(c->write("GET /ka/" + std::to_string(i) + " HTTP/1.1\r\nHost: localhost\r\n\r\n", 10s));
    auto r = c->read_final_response(15s);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "upstream ok\n");
  }
  REQUIRE(fx.upstream().wait_for_requests(2, 5s));
  auto reqs = fx.upstream().requests();
  CHECK(reqs[0].target == "/ka/0");
  CHECK(reqs[1].target == "/ka/1");
  CHECK(fx.upstream().connection_count() == 1);  // the pool reused the upstream connection
}

TEST_CASE("the admin listener answers /healthz and /readyz", "[admin]") {
  proxy_fixture fx;
  auto admin = fx.admin_endpoint();
  REQUIRE(admin);
  for (std::string path : {"/healthz", "/readyz"}) {
    CAPTURE(path);
    auto r = run_process({"curl", "-sS", "--noproxy", "*", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}",
                          "http://127.0.0.1:" + std::to_string(admin->port()) + path},
                         20s);
    INFO(r.describe());
    CHECK(r.out == "200");
  }
}
