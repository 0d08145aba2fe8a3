#include "proxy/upstream/pool.hpp"

#include "proxy/error.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/upstream/loopback_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace net = boost::asio;
namespace http = boost::beast::http;
using cba::test::loopback_server;
using cba::test::server_mode;
using cba::upstream::acquire_result;
using cba::upstream::pool;
using cba::upstream::upstream_stream;
using namespace std::chrono_literals;

namespace {

const std::string upstream_name = "upstream.example.test";  // in the test PKI's upstream certificate

template <class T>
T run(net::io_context& ioc, net::awaitable<T> task) {
  auto result = net::co_spawn(ioc, std::move(task), net::use_future);
  ioc.restart();
  ioc.run();
  return result.get();
}

// A GET over the leased stream; returns the body (the server's connection index).
net::awaitable<std::string> get(upstream_stream& stream) {
  http::request<http::empty_body> req{http::verb::get, "/", 11};
  req.set(http::field::host, upstream_name);
  stream.tcp().expires_after(30s);
  co_await http::async_write(stream, req, net::use_awaitable);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  co_await http::async_read(stream, buffer, res, net::use_awaitable);
  stream.tcp().expires_never();
  co_return res.body();
}

net::awaitable<acquire_result> acquire(pool& p, std::string key) {
  co_return co_await p.acquire(std::move(key), co_await net::this_coro::executor);
}

struct tls_setup {
  std::shared_ptr<net::ssl::context> client;  // trusts `ca`
  net::ssl::context server{net::ssl::context::tls_server};

  explicit tls_setup(const std::string& trusted_ca_file = cba::test::test_pki::get().cert("upstream-ca")) {
    const auto& pki = cba::test::test_pki::get();
    client = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
    client->load_verify_file(trusted_ca_file);
    client->set_verify_mode(net::ssl::verify_peer);
    server.use_certificate_chain_file(pki.chain("upstream"));
    server.use_private_key_file(pki.key("upstream"), net::ssl::context::pem);
  }
};

cba::config::upstream_config upstream_for(const loopback_server& server, bool https) {
  cba::config::upstream_config cfg;
  cfg.name = "test";
  cfg.https = https;
  cfg.host = "127.0.0.1";
  cfg.port = server.port();
  cfg.url = std::string(https ? "https://" : "http://") + "127.0.0.1:" + std::to_string(server.port());
  if (https) {
    cfg.tls.server_name = upstream_name;
  }
  cfg.connect_timeout = 10s;
  return cfg;
}

// Waits (bounded) until the peer's FIN or data is visible on the socket.
bool wait_readable(upstream_stream& stream) {
  pollfd pfd{stream.tcp().socket().native_handle(), POLLIN | POLLRDHUP, 0};
  return ::poll(&pfd, 1, 10000) == 1;
}

}  // namespace

TEST_CASE("pool connects and carries a request, plain and TLS", "[upstream][pool]") {
  const bool https = GENERATE(false, true);
  CAPTURE(https);
  tls_setup tls;
  loopback_server server(server_mode::keep_alive, https ? &tls.server : nullptr);
  net::io_context ioc;
  pool p(upstream_for(server, https), tls.client);

  auto leased = run(ioc, acquire(p, ""));
  REQUIRE(leased.has_value());
  CHECK_FALSE(leased->reused());
  CHECK(leased->stream().is_tls() == https);
  CHECK((leased->stream().native_ssl() != nullptr) == https);
  CHECK(run(ioc, get(leased->stream())) == "0");
  CHECK(run(ioc, get(leased->stream())) == "0");
  CHECK(p.stats().connects == 1);
  CHECK(p.stats().reuses == 0);
}

TEST_CASE("pool verifies an IP address when no server name is configured", "[upstream][pool]") {
  tls_setup tls;
  loopback_server server(server_mode::keep_alive, &tls.server);
  net::io_context ioc;
  auto cfg = upstream_for(server, true);
  cfg.tls.server_name.clear();  // the certificate has IP:127.0.0.1
  pool p(cfg, tls.client);

  auto leased = run(ioc, acquire(p, ""));
  REQUIRE(leased.has_value());
  CHECK(run(ioc, get(leased->stream())) == "0");
}

TEST_CASE("pool resolves a host name", "[upstream][pool]") {
  loopback_server server(server_mode::keep_alive, nullptr);
  net::io_context ioc;
  auto cfg = upstream_for(server, false);
  // From /etc/hosts, so no DNS query leaves the machine. (No test of a failing DNS lookup for that
  // reason: it would query the configured name server.)
  cfg.host = "localhost";
  pool p(cfg, nullptr);

  auto leased = run(ioc, acquire(p, ""));
  REQUIRE(leased.has_value());
  CHECK(run(ioc, get(leased->stream())) == "0");
}

TEST_CASE("pool refuses a certificate for another name", "[upstream][pool]") {
  tls_setup tls;
  loopback_server server(server_mode::keep_alive, &tls.server);
  net::io_context ioc;
  auto cfg = upstream_for(server, true);
  cfg.tls.server_name = "exchange.example.test";
  pool p(cfg, tls.client);

  auto leased = run(ioc, acquire(p, ""));
  REQUIRE_FALSE(leased.has_value());
  CHECK(leased.error().code == cba::errc::upstream_tls_failed);
  CHECK_THAT(leased.error().detail, Catch::Contains("hostname mismatch"));
  CHECK_THAT(leased.error().detail, Catch::Contains("exchange.example.test"));
  CHECK(p.stats().connect_failures == 1);
  CHECK(p.stats().connects == 0);
}

TEST_CASE("pool refuses a certificate from an untrusted CA", "[upstream][pool]") {
  tls_setup tls(cba::test::test_pki::get().cert("other-root-ca"));
  loopback_server server(server_mode::keep_alive, &tls.server);
  net::io_context ioc;
  pool p(upstream_for(server, true), tls.client);

  auto leased = run(ioc, acquire(p, ""));
  REQUIRE_FALSE(leased.has_value());
  CHECK(leased.error().code == cba::errc::upstream_tls_failed);
  CHECK_THAT(leased.error().detail, Catch::Contains("certificate verification failed"));
}

TEST_CASE("pool reports a closed port as a connect failure naming host:port", "[upstream][pool]") {
  net::io_context ioc;
  cba::config::upstream_config cfg;
  cfg.name = "test";
  cfg.host = "127.0.0.1";
  cfg.port = cba::test::closed_port();
  pool p(cfg, nullptr);

  auto leased = run(ioc, acquire(p, ""));
  REQUIRE_FALSE(leased.has_value());
  CHECK(leased.error().code == cba::errc::upstream_connect_failed);
  CHECK_THAT(leased.error().detail, Catch::Contains("127.0.0.1:" + std::to_string(cfg.port)));
  CHECK_THAT(leased.error().detail, Catch::Contains("refused"));
}

TEST_CASE("pool times out a connect the upstream never accepts", "[upstream][pool]") {
  // A listener whose accept queue is full: the kernel drops further SYNs, so connecting hangs.
  net::io_context ioc;
  net::ip::tcp::acceptor full(ioc, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0), false);
  full.listen(0);
  const auto port = full.local_endpoint().port();
  const net::ip::tcp::endpoint target(net::ip::make_address("127.0.0.1"), port);
  std::vector<net::ip::tcp::socket> fillers;
  for (int i = 0; i < 2; ++i) {  // backlog 0 admits one; a second makes sure the queue is full
    fillers.emplace_back(ioc);
    fillers.back().open(net::ip::tcp::v4());
    fillers.back().non_blocking(true);
    // ::connect, not socket::connect: Asio's synchronous connect waits for completion even on a
    // non-blocking socket, and the second one would only end when the kernel gives up (minutes).
    [[maybe_unused]] const int started = ::connect(fillers.back().native_handle(), target.data(),
                                                    static_cast<socklen_t>(target.size()));
  }
  cba::config::upstream_config cfg;
  cfg.name = "test";
  cfg.host = "127.0.0.1";
  cfg.port = port;
  cfg.connect_timeout = 300ms;
  pool p(cfg, nullptr);

  auto leased = run(ioc, acquire(p, ""));
  REQUIRE_FALSE(leased.has_value());
  CHECK(leased.error().code == cba::errc::upstream_timeout);
  CHECK_THAT(leased.error().detail, Catch::Contains("127.0.0.1:" + std::to_string(port)));
}

TEST_CASE("pool times out a handshake the upstream never answers", "[upstream][pool]") {
  tls_setup tls;
  loopback_server server(server_mode::silent, nullptr);
  net::io_context ioc;
  auto cfg = upstream_for(server, true);
  cfg.connect_timeout = 200ms;
  pool p(cfg, tls.client);

  auto leased = run(ioc, acquire(p, ""));
  REQUIRE_FALSE(leased.has_value());
  CHECK(leased.error().code == cba::errc::upstream_timeout);
  CHECK_THAT(leased.error().detail, Catch::Contains("TLS handshake"));
  CHECK(p.stats().connect_failures == 1);
}

TEST_CASE("pool reuses a released connection", "[upstream][pool]") {
  const bool https = GENERATE(false, true);
  CAPTURE(https);
  tls_setup tls;
  loopback_server server(server_mode::keep_alive, https ? &tls.server : nullptr);
  net::io_context ioc;
  pool p(upstream_for(server, https), tls.client);

  {
    auto first = run(ioc, acquire(p, ""));
    REQUIRE(first.has_value());
    CHECK(run(ioc, get(first->stream())) == "0");
    first->release_reusable();
    CHECK_FALSE(first->holds_connection());
  }
  CHECK(p.stats().idle == 1);

  auto second = run(ioc, acquire(p, ""));
  REQUIRE(second.has_value());
  CHECK(second->reused());
  CHECK(run(ioc, get(second->stream())) == "0");
  CHECK(p.stats().connects == 1);
  CHECK(p.stats().reuses == 1);
  CHECK(p.stats().idle == 0);
  CHECK(server.accepted() == 1);
}

TEST_CASE("pool does not keep a connection whose lease ended without release", "[upstream][pool]") {
  loopback_server server(server_mode::keep_alive, nullptr);
  net::io_context ioc;
  pool p(upstream_for(server, false), nullptr);

  {
    auto first = run(ioc, acquire(p, ""));
    REQUIRE(first.has_value());
    CHECK(run(ioc, get(first->stream())) == "0");
  }
  CHECK(p.stats().idle == 0);
  auto second = run(ioc, acquire(p, ""));
  REQUIRE(second.has_value());
  CHECK_FALSE(second->reused());
  CHECK(run(ioc, get(second->stream())) == "1");
}

TEST_CASE("pool detects a connection the upstream closed while idle", "[upstream][pool]") {
  const bool https = GENERATE(false, true);
  CAPTURE(https);
  tls_setup tls;
  loopback_server server(server_mode::close_after_response, https ? &tls.server : nullptr);
  net::io_context ioc;
  pool p(upstream_for(server, https), tls.client);

  {
    auto first = run(ioc, acquire(p, ""));
    REQUIRE(first.has_value());
    CHECK(run(ioc, get(first->stream())) == "0");
    REQUIRE(wait_readable(first->stream()));  // the FIN has arrived
    first->release_reusable();
  }
  CHECK(p.stats().idle == 1);

  auto second = run(ioc, acquire(p, ""));
  REQUIRE(second.has_value());
  CHECK_FALSE(second->reused());
  CHECK(run(ioc, get(second->stream())) == "1");
  CHECK(p.stats().connects == 2);
  CHECK(p.stats().reuses == 0);
}

TEST_CASE("pool does not reuse a connection idle beyond the idle limit", "[upstream][pool]") {
  loopback_server server(server_mode::keep_alive, nullptr);
  net::io_context ioc;
  pool p(upstream_for(server, false), nullptr, std::chrono::steady_clock::duration::zero());

  {
    auto first = run(ioc, acquire(p, ""));
    REQUIRE(first.has_value());
    first->release_reusable();
  }
  auto second = run(ioc, acquire(p, ""));
  REQUIRE(second.has_value());
  CHECK_FALSE(second->reused());
  CHECK(p.stats().connects == 2);
  CHECK(p.stats().idle == 0);
}

TEST_CASE("pool never serves a connection to another identity key", "[upstream][pool]") {
  const bool https = GENERATE(false, true);
  CAPTURE(https);
  tls_setup tls;
  loopback_server server(server_mode::keep_alive, https ? &tls.server : nullptr);
  net::io_context ioc;
  pool p(upstream_for(server, https), tls.client);
  const std::string alice = "S-1-5-21-1004336348-1177238915-682003330-1104";
  const std::string bob = "S-1-5-21-1004336348-1177238915-682003330-1105";

  {
    auto a = run(ioc, acquire(p, alice));
    REQUIRE(a.has_value());
    CHECK(run(ioc, get(a->stream())) == "0");
    a->release_reusable();
  }
  auto b = run(ioc, acquire(p, bob));
  REQUIRE(b.has_value());
  CHECK_FALSE(b->reused());
  CHECK(run(ioc, get(b->stream())) == "1");

  auto anonymous = run(ioc, acquire(p, ""));
  REQUIRE(anonymous.has_value());
  CHECK_FALSE(anonymous->reused());
  CHECK(run(ioc, get(anonymous->stream())) == "2");

  auto a_again = run(ioc, acquire(p, alice));
  REQUIRE(a_again.has_value());
  CHECK(a_again->reused());
  CHECK(run(ioc, get(a_again->stream())) == "0");
  CHECK(p.stats().connects == 3);
}

TEST_CASE("pool keeps at most max_idle_connections, dropping the oldest", "[upstream][pool]") {
  loopback_server server(server_mode::keep_alive, nullptr);
  net::io_context ioc;
  auto cfg = upstream_for(server, false);
  cfg.max_idle_connections = 2;
  pool p(cfg, nullptr);

  std::vector<cba::upstream::lease> leases;
  for (int i = 0; i < 3; ++i) {
    auto leased = run(ioc, acquire(p, ""));
    REQUIRE(leased.has_value());
    CHECK(run(ioc, get(leased->stream())) == std::to_string(i));
    leases.push_back(std::move(*leased));
  }
  for (auto& l : leases) {
    l.release_reusable();  // connection 0 first: the oldest idle one
  }
  CHECK(p.stats().idle == 2);

  std::set<std::string> served;
  for (int i = 0; i < 3; ++i) {
    auto leased = run(ioc, acquire(p, ""));
    REQUIRE(leased.has_value());
    served.insert(run(ioc, get(leased->stream())));
    leases[static_cast<std::size_t>(i)] = std::move(*leased);
  }
  CHECK(served == std::set<std::string>{"1", "2", "3"});
  CHECK(p.stats().reuses == 2);
  CHECK(p.stats().connects == 4);
}

TEST_CASE("pool close_idle closes every idle connection", "[upstream][pool]") {
  loopback_server server(server_mode::keep_alive, nullptr);
  net::io_context ioc;
  pool p(upstream_for(server, false), nullptr);
  {
    auto leased = run(ioc, acquire(p, ""));
    REQUIRE(leased.has_value());
    leased->release_reusable();
  }
  CHECK(p.stats().idle == 1);
  p.close_idle();
  CHECK(p.stats().idle == 0);
  auto again = run(ioc, acquire(p, ""));
  REQUIRE(again.has_value());
  CHECK_FALSE(again->reused());
}

TEST_CASE("a lease outliving its pool closes its connection on release", "[upstream][pool]") {
  loopback_server server(server_mode::keep_alive, nullptr);
  net::io_context ioc;
  std::optional<cba::upstream::lease> kept;
  {
    pool p(upstream_for(server, false), nullptr);
    auto leased = run(ioc, acquire(p, ""));
    REQUIRE(leased.has_value());
    kept.emplace(std::move(*leased));
  }
  CHECK(run(ioc, get(kept->stream())) == "0");
  kept->release_reusable();
  CHECK_FALSE(kept->holds_connection());
}

namespace {

net::awaitable<std::string> acquire_get_release(pool& p) {
  auto leased = co_await p.acquire("", co_await net::this_coro::executor);
  if (!leased) {
    co_return "error: " + leased.error().detail;
  }
  auto body = co_await get(leased->stream());
  leased->release_reusable();
  co_return body;
}

net::awaitable<bool> executor_is_callers(pool& p) {
  const auto ex = co_await net::this_coro::executor;
  auto leased = co_await p.acquire("", ex);
  if (!leased) {
    co_return false;
  }
  const bool same = leased->stream().get_executor() == ex && leased->stream().tcp().get_executor() == ex;
  co_await get(leased->stream());
  leased->release_reusable();
  co_return same;
}

}  // namespace

TEST_CASE("a reused connection moves to the acquiring session's executor", "[upstream][pool]") {
  const bool https = GENERATE(false, true);
  CAPTURE(https);
  tls_setup tls;
  loopback_server server(server_mode::keep_alive, https ? &tls.server : nullptr);
  net::io_context ioc;
  pool p(upstream_for(server, https), tls.client);

  auto strand_a = net::make_strand(ioc);
  auto strand_b = net::make_strand(ioc);
  auto on_a = net::co_spawn(strand_a, executor_is_callers(p), net::use_future);
  ioc.run();
  CHECK(on_a.get());
  auto on_b = net::co_spawn(strand_b, executor_is_callers(p), net::use_future);
  ioc.restart();
  ioc.run();
  CHECK(on_b.get());
  CHECK(p.stats().reuses == 1);
  CHECK(server.accepted() == 1);
}

namespace {

net::awaitable<int> churn(pool& p, int rounds) {
  int ok = 0;
  for (int i = 0; i < rounds; ++i) {
    auto body = co_await acquire_get_release(p);
    ok += body.rfind("error", 0) == 0 ? 0 : 1;
  }
  co_return ok;
}

}  // namespace

TEST_CASE("pool serves sessions on two threads concurrently", "[upstream][pool]") {
  const bool https = GENERATE(false, true);
  CAPTURE(https);
  constexpr int rounds = 100;
  tls_setup tls;
  loopback_server server(server_mode::keep_alive, https ? &tls.server : nullptr);
  net::io_context ioc;
  pool p(upstream_for(server, https), tls.client);

  auto first = net::co_spawn(net::make_strand(ioc), churn(p, rounds), net::use_future);
  auto second = net::co_spawn(net::make_strand(ioc), churn(p, rounds), net::use_future);
  std::thread helper([&ioc] { ioc.run(); });
  ioc.run();
  helper.join();

  CHECK(first.get() == rounds);
  CHECK(second.get() == rounds);
  const auto stats = p.stats();
  CHECK(stats.connects + stats.reuses == 2 * rounds);
  CHECK(stats.connects == server.accepted());
  CHECK(stats.connects <= 2 * rounds);
  CHECK(stats.idle >= 1);
  CHECK(stats.idle <= 2);
}

TEST_CASE("upstream_stream shutdown closes the connection", "[upstream][stream]") {
  const bool https = GENERATE(false, true);
  CAPTURE(https);
  tls_setup tls;
  loopback_server server(server_mode::keep_alive, https ? &tls.server : nullptr);
  net::io_context ioc;
  pool p(upstream_for(server, https), tls.client);

  auto leased = run(ioc, acquire(p, ""));
  REQUIRE(leased.has_value());
  run(ioc, leased->stream().shutdown());
  CHECK_FALSE(leased->stream().tcp().socket().is_open());
}

TEST_CASE("pool hands a briefly idle connection to a caller that can retry without peeking, and peeks for one that cannot",
          "[upstream][pool]") {
  loopback_server server(server_mode::close_after_response, nullptr);
  net::io_context ioc;
  pool p(upstream_for(server, false), nullptr);
  const auto idle_closed_connection = [&] {
    auto lease = run(ioc, acquire(p, ""));
    REQUIRE(lease.has_value());
    CHECK(run(ioc, get(lease->stream())) != "");
    REQUIRE(wait_readable(lease->stream()));  // the upstream's FIN has arrived
    lease->release_reusable();
  };
  const auto acquire_retryable = [&p](bool can_retry) -> net::awaitable<acquire_result> {
    co_return co_await p.acquire("", co_await net::this_coro::executor, can_retry);
  };

  idle_closed_connection();
  // Within pool::unprobed_idle the closed connection is handed over as it is: the caller's request
  // would fail on it and be retried on a new one (the relay's stale retry).
  {
    auto unprobed = run(ioc, acquire_retryable(true));
    REQUIRE(unprobed.has_value());
    CHECK(unprobed->reused());
    CHECK(p.stats().reuses == 1);
  }  // the lease ends unreleased: that connection is closed, not pooled again

  idle_closed_connection();
  // A caller that cannot retry gets the peek: the closed connection is dropped, a new one made.
  auto probed = run(ioc, acquire_retryable(false));
  REQUIRE(probed.has_value());
  CHECK_FALSE(probed->reused());
  CHECK(p.stats().reuses == 1);
  CHECK(p.stats().connects == 3);
}
