// socket_tls_stream against asio::ssl::stream on loopback: real mTLS handshakes with the script PKI and
// the proxy's own server context, large transfers both ways in random pieces, deadlines, cancellation,
// truncation and close_notify.

#include "proxy/tls/certificate_policy.hpp"
#include "proxy/tls/client_context.hpp"
#include "proxy/tls/server_context.hpp"
#include "proxy/tls/socket_tls_stream.hpp"
#include "tests/tls/script_pki_tls.hpp"
#include "tests/tls/test_certs.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/stream_traits.hpp>

#include <openssl/err.h>

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <random>
#include <string_view>
#include <thread>
#include <vector>

using namespace cba;
using namespace cba::tls;
using namespace cba::tls::testing;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using namespace std::chrono_literals;

static_assert(beast::is_async_read_stream<socket_tls_stream>::value);
static_assert(beast::is_async_write_stream<socket_tls_stream>::value);
static_assert(std::is_same_v<std::remove_reference_t<decltype(beast::get_lowest_layer(
                                 std::declval<socket_tls_stream&>()))>,
                             deadline_tcp_stream>);

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// The bytes of a transfer: a deterministic pseudo-random sequence both ends can produce.
std::vector<unsigned char> pattern(std::size_t size, unsigned seed) {
  std::vector<unsigned char> out(size);
  std::mt19937 gen(seed);
  for (auto& b : out) b = static_cast<unsigned char>(gen() & 0xffu);
  return out;
}

// A connected pair: the proxy side (socket_tls_stream over the proxy's server context, verdict
// attached) and a client (asio::ssl::stream, the reference implementation).
struct tls_pair {
  explicit tls_pair(const std::string& client_name = "alice", int max_version = TLS1_3_VERSION)
      : policy(certificate_policy::create(script_trust())),
        server_ctx(make_server_context(script_listener(), *policy)),
        client_ctx(script_client_context(client_name, max_version)),
        acceptor(io, {asio::ip::make_address("127.0.0.1"), 0}),
        client(io, client_ctx) {
    client.next_layer().connect(acceptor.local_endpoint());
    tcp::socket accepted(io);
    acceptor.accept(accepted);
    server = std::make_unique<socket_tls_stream>(beast::tcp_stream(std::move(accepted)), server_ctx);
    certificate_policy::attach(server->native_handle(), &verdict);
    std::string error;
    REQUIRE(prepare_upstream_ssl(client.native_handle(), "localhost", error));
  }

  // Runs both handshakes; returns {server ec, client ec}.
  std::pair<error_code, error_code> handshake() {
    std::pair<error_code, error_code> out;
    int done = 0;
    server->async_handshake(ssl::stream_base::server, [&](error_code ec) {
      out.first = ec;
      ++done;
    });
    client.async_handshake(ssl::stream_base::client, [&](error_code ec) {
      out.second = ec;
      ++done;
    });
    run_until([&] { return done == 2; });
    return out;
  }

  template <class Done>
  void run_until(Done done) {
    io.restart();
    while (!done()) {
      // A safety net against a hung test, not an assertion on time.
      REQUIRE(io.run_one_for(std::chrono::seconds(60)) > 0);
    }
  }

  std::shared_ptr<const certificate_policy> policy;
  ssl::context server_ctx;
  ssl::context client_ctx;
  asio::io_context io;
  tcp::acceptor acceptor;
  ssl::stream<tcp::socket> client;
  std::unique_ptr<socket_tls_stream> server;
  peer_verdict verdict;
};

// Writes `data` in random pieces (sometimes as a two-buffer sequence, to exercise gathering).
template <class Stream>
asio::awaitable<error_code> write_in_pieces(Stream& stream, const std::vector<unsigned char>& data, unsigned seed) {
  std::mt19937 gen(seed);
  std::size_t at = 0;
  while (at < data.size()) {
    const std::size_t piece = std::min<std::size_t>(data.size() - at, 1 + gen() % 70000);
    if (gen() % 3 == 0 && piece > 1) {
      const std::size_t split = 1 + gen() % (piece - 1);
      const std::array<asio::const_buffer, 2> two{asio::buffer(data.data() + at, split),
                                                  asio::buffer(data.data() + at + split, piece - split)};
      auto [ec, n] = co_await stream.async_write_some(two, use_tuple);
      if (ec) co_return ec;
      REQUIRE(n > 0);
      at += n;
    } else {
      auto [ec, n] = co_await stream.async_write_some(asio::buffer(data.data() + at, piece), use_tuple);
      if (ec) co_return ec;
      REQUIRE(n > 0);
      at += n;
    }
  }
  co_return error_code{};
}

template <class Stream>
asio::awaitable<error_code> read_in_pieces(Stream& stream, std::vector<unsigned char>& into, std::size_t size,
                                           unsigned seed) {
  std::mt19937 gen(seed);
  into.clear();
  std::vector<unsigned char> piece(70000);
  while (into.size() < size) {
    const std::size_t want = std::min<std::size_t>(size - into.size(), 1 + gen() % piece.size());
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(piece.data(), want), use_tuple);
    if (ec) co_return ec;
    into.insert(into.end(), piece.begin(), piece.begin() + static_cast<std::ptrdiff_t>(n));
  }
  co_return error_code{};
}

}  // namespace

TEST_CASE("socket_tls_stream: mTLS handshake and multi-MiB transfers both ways", "[tls][socket_tls_stream]") {
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  CAPTURE(version);
  tls_pair p("alice", version);
  const auto [server_ec, client_ec] = p.handshake();
  REQUIRE_FALSE(server_ec);
  REQUIRE_FALSE(client_ec);
  CHECK(SSL_version(p.server->native_handle()) == version);
  CHECK(p.verdict.reason == errc::ok);
  CHECK(p.verdict.certificate_presented);
  CHECK(SSL_get0_peer_certificate(p.server->native_handle()) != nullptr);

  const auto up = pattern(5 * 1024 * 1024 + 17, 1);
  const auto down = pattern(7 * 1024 * 1024 + 3, 2);
  std::vector<unsigned char> got_up;
  std::vector<unsigned char> got_down;
  int done = 0;
  error_code e1, e2, e3, e4;
  // Both directions at once: each end reads and writes concurrently (one read + one write each).
  asio::co_spawn(p.io, [&]() -> asio::awaitable<void> { e1 = co_await write_in_pieces(p.client, up, 11); ++done; },
                 asio::detached);
  asio::co_spawn(p.io, [&]() -> asio::awaitable<void> { e2 = co_await read_in_pieces(*p.server, got_up, up.size(), 12); ++done; },
                 asio::detached);
  asio::co_spawn(p.io, [&]() -> asio::awaitable<void> { e3 = co_await write_in_pieces(*p.server, down, 13); ++done; },
                 asio::detached);
  asio::co_spawn(p.io, [&]() -> asio::awaitable<void> { e4 = co_await read_in_pieces(p.client, got_down, down.size(), 14); ++done; },
                 asio::detached);
  p.run_until([&] { return done == 4; });
  CHECK_FALSE(e1);
  CHECK_FALSE(e2);
  CHECK_FALSE(e3);
  CHECK_FALSE(e4);
  CHECK(got_up == up);
  CHECK(got_down == down);

  // Whole-buffer algorithms (asio::async_write / async_read) compose over the stream too.
  const auto small = pattern(100000, 3);
  std::vector<unsigned char> got_small(small.size());
  done = 0;
  asio::async_write(*p.server, asio::buffer(small), [&](error_code ec, std::size_t) { e1 = ec; ++done; });
  asio::async_read(p.client, asio::buffer(got_small), [&](error_code ec, std::size_t) { e2 = ec; ++done; });
  p.run_until([&] { return done == 2; });
  CHECK_FALSE(e1);
  CHECK_FALSE(e2);
  CHECK(got_small == small);
}

TEST_CASE("socket_tls_stream: refused client certificates keep the verdict and the alert", "[tls][socket_tls_stream]") {
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  struct expectation {
    std::string client;
    errc reason;
  };
  const auto [client_name, reason] = GENERATE(values<expectation>({
      {"", errc::no_client_certificate},
      {"untrusted", errc::chain_untrusted},
      {"expired", errc::certificate_expired},
      {"rogue", errc::issuer_not_ntauth},
  }));
  CAPTURE(version, client_name);
  tls_pair p(client_name, version);
  auto [server_ec, client_ec] = p.handshake();
  REQUIRE(server_ec);
  CHECK(server_ec != beast::error::timeout);
  CHECK(certificate_policy::handshake_failure_reason(p.verdict, server_ec) == reason);
  if (version == TLS1_3_VERSION && !client_ec) {
    // TLS 1.3: the client's handshake completes; the server's alert arrives on its first read.
    std::array<char, 16> buf{};
    int done = 0;
    p.client.async_read_some(asio::buffer(buf), [&](error_code ec, std::size_t) { client_ec = ec; ++done; });
    p.run_until([&] { return done == 1; });
  }
  REQUIRE(client_ec);
  CHECK(client_ec.category() == asio::error::get_ssl_category());  // an alert, not a bare TCP close
}

TEST_CASE("socket_tls_stream: the lowest layer's deadline ends a wait with beast's timeout", "[tls][socket_tls_stream]") {
  SECTION("a client that never starts the handshake") {
    tls_pair p;
    beast::get_lowest_layer(*p.server).expires_after(200ms);
    error_code ec;
    bool done = false;
    p.server->async_handshake(ssl::stream_base::server, [&](error_code e) { ec = e; done = true; });
    p.run_until([&] { return done; });
    CHECK(ec == beast::error::timeout);
    CHECK_FALSE(beast::get_lowest_layer(*p.server).socket().is_open());
    // The client sees the connection end.
    char byte = 0;
    error_code rec;
    asio::read(p.client.next_layer(), asio::buffer(&byte, 1), rec);
    CHECK(rec);
  }
  SECTION("a read with nothing to read; expires_never disarms it") {
    tls_pair p;
    REQUIRE_FALSE(p.handshake().first);
    auto& lowest = beast::get_lowest_layer(*p.server);
    std::array<char, 64> buf{};
    // Disarmed: the read completes with the data sent after the former deadline would have passed.
    lowest.expires_after(100ms);
    lowest.expires_never();
    error_code ec;
    std::size_t got = 0;
    int done = 0;
    p.server->async_read_some(asio::buffer(buf), [&](error_code e, std::size_t n) { ec = e; got = n; ++done; });
    asio::steady_timer later(p.io, 300ms);
    later.async_wait([&](error_code) {
      asio::async_write(p.client, asio::buffer("hi", 2), [&](error_code, std::size_t) { ++done; });
    });
    p.run_until([&] { return done == 2; });
    CHECK_FALSE(ec);
    CHECK(got == 2);
    // Armed: it ends with timeout and the socket is closed, as beast::tcp_stream does.
    lowest.expires_after(100ms);
    done = 0;
    p.server->async_read_some(asio::buffer(buf), [&](error_code e, std::size_t) { ec = e; ++done; });
    p.run_until([&] { return done == 1; });
    CHECK(ec == beast::error::timeout);
    CHECK_FALSE(lowest.socket().is_open());
    // A later operation on the closed stream fails at once instead of touching a reused descriptor.
    done = 0;
    p.server->async_write_some(asio::buffer("x", 1), [&](error_code e, std::size_t) { ec = e; ++done; });
    p.run_until([&] { return done == 1; });
    CHECK(ec == asio::error::bad_descriptor);
  }
}

TEST_CASE("socket_tls_stream: a cancelled read leaves the stream usable for an answer", "[tls][socket_tls_stream]") {
  // The header timeout: socket().cancel() ends the read, then the proxy still writes its 408.
  tls_pair p;
  REQUIRE_FALSE(p.handshake().first);
  std::array<char, 64> buf{};
  error_code ec;
  int done = 0;
  p.server->async_read_some(asio::buffer(buf), [&](error_code e, std::size_t) { ec = e; ++done; });
  asio::steady_timer later(p.io, 100ms);
  later.async_wait([&](error_code) {
    error_code ignored;
    beast::get_lowest_layer(*p.server).socket().cancel(ignored);
  });
  p.run_until([&] { return done == 1; });
  CHECK(ec == asio::error::operation_aborted);
  std::array<char, 5> answer{};
  error_code wec, rec;
  done = 0;
  asio::async_write(*p.server, asio::buffer("408!!", 5), [&](error_code e, std::size_t) { wec = e; ++done; });
  asio::async_read(p.client, asio::buffer(answer), [&](error_code e, std::size_t) { rec = e; ++done; });
  p.run_until([&] { return done == 2; });
  CHECK_FALSE(wec);
  CHECK_FALSE(rec);
  CHECK(std::string(answer.data(), answer.size()) == "408!!");
}

TEST_CASE("socket_tls_stream: end of stream with and without close_notify", "[tls][socket_tls_stream]") {
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  CAPTURE(version);
  std::array<char, 64> buf{};
  SECTION("a peer that closes TCP without close_notify: stream_truncated") {
    tls_pair p("alice", version);
    REQUIRE_FALSE(p.handshake().first);
    error_code ec;
    int done = 0;
    p.server->async_read_some(asio::buffer(buf), [&](error_code e, std::size_t) { ec = e; ++done; });
    asio::steady_timer later(p.io, 50ms);
    // shutdown, not close: a close with the unread TLS 1.3 ticket pending would be a reset instead.
    later.async_wait([&](error_code) { p.client.next_layer().shutdown(tcp::socket::shutdown_send); });
    p.run_until([&] { return done == 1; });
    CHECK(ec == ssl::error::stream_truncated);
  }
  SECTION("a peer that sends close_notify: eof; our shutdown completes") {
    tls_pair p("alice", version);
    REQUIRE_FALSE(p.handshake().first);
    error_code ec, cec, sec;
    int done = 0;
    p.server->async_read_some(asio::buffer(buf), [&](error_code e, std::size_t) {
      ec = e;
      ++done;
      p.server->async_shutdown([&](error_code e2) { sec = e2; ++done; });
    });
    p.client.async_shutdown([&](error_code e) { cec = e; ++done; });
    p.run_until([&] { return done == 3; });
    CHECK(ec == asio::error::eof);
    CHECK_FALSE(cec);
    CHECK_FALSE(sec);
  }
  SECTION("our shutdown sends close_notify: the peer reads eof") {
    tls_pair p("alice", version);
    REQUIRE_FALSE(p.handshake().first);
    error_code cec, sec;
    int done = 0;
    p.server->async_shutdown([&](error_code e) { sec = e; ++done; });
    p.client.async_read_some(asio::buffer(buf), [&](error_code e, std::size_t) {
      cec = e;
      ++done;
      p.client.async_shutdown([&](error_code) { ++done; });
    });
    p.run_until([&] { return done == 3; });
    CHECK(cec == asio::error::eof);
    CHECK_FALSE(sec);
  }
}

TEST_CASE("socket_tls_stream: renegotiation stays refused", "[tls][socket_tls_stream]") {
  tls_pair p("alice", TLS1_2_VERSION);
  REQUIRE_FALSE(p.handshake().first);
  SSL_clear_options(p.client.native_handle(), SSL_OP_NO_RENEGOTIATION);  // the upstream context forbids it
  REQUIRE(SSL_renegotiate(p.client.native_handle()) == 1);
  std::array<char, 64> buf{};
  error_code sec, cec;
  int done = 0;
  // The server reads (and refuses the ClientHello); the client's renegotiation handshake fails.
  p.server->async_read_some(asio::buffer(buf), [&](error_code e, std::size_t) { sec = e; ++done; });
  p.client.async_handshake(ssl::stream_base::client, [&](error_code e) {
    cec = e;
    ++done;
    error_code ignored;
    p.client.next_layer().close(ignored);
  });
  p.run_until([&] { return done == 2; });
  CHECK(cec);
  CHECK(sec);
  CHECK(SSL_renegotiate_pending(p.server->native_handle()) == 0);
}

TEST_CASE("socket_tls_stream: wait_readable, read_now and write_now do what can be done now and say when to wait",
          "[tls][socket_tls_stream]") {
  tls_pair pair;
  const auto [server_ec, client_ec] = pair.handshake();
  REQUIRE_FALSE(server_ec);
  REQUIRE_FALSE(client_ec);
  auto& server = *pair.server;

  // Nothing sent yet: read_now has nothing and no error (the caller would wait).
  std::array<char, 64> buffer{};
  error_code ec;
  CHECK(server.read_now(asio::buffer(buffer), ec) == 0);
  CHECK_FALSE(ec);

  // wait_readable completes once the client's record arrives, holding no buffer; read_now then has it.
  bool readable = false;
  server.async_wait_readable([&](error_code wait_ec) {
    CHECK_FALSE(wait_ec);
    readable = true;
  });
  asio::write(pair.client, asio::buffer(std::string_view("GET / HTTP/1.1\r\n\r\n")));
  pair.run_until([&] { return readable; });
  std::size_t got = 0;
  for (int i = 0; i < 100 && got == 0 && !ec; ++i) {  // the record may need a second segment
    got = server.read_now(asio::buffer(buffer), ec);
    if (got == 0 && !ec) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE_FALSE(ec);
  CHECK(std::string_view(buffer.data(), got) == "GET / HTTP/1.1\r\n\r\n");

  // write_now gathers a head and a body into one record; the client reads both.
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n";
  const std::array<asio::const_buffer, 2> whole{asio::buffer(head), asio::buffer("ok\n", 3)};
  CHECK(server.write_now(whole, ec) == head.size() + 3);
  CHECK_FALSE(ec);
  std::string received(head.size() + 3, '\0');
  asio::read(pair.client, asio::buffer(received));
  CHECK(received == head + "ok\n");

  // After the peer's close_notify read_now reports the end, as async_read_some would.
  pair.client.async_shutdown([](error_code) {});  // sends close_notify, then waits for ours (never sent)
  pair.io.restart();
  std::size_t after = 0;
  for (int i = 0; i < 100 && !ec; ++i) {
    pair.io.poll();
    after = server.read_now(asio::buffer(buffer), ec);
    if (!ec) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(after == 0);
  CHECK(ec == asio::error::eof);
  pair.client.next_layer().close();
}

TEST_CASE("socket_tls_stream: records smaller and larger than the inbox arrive whole and in order",
          "[tls][socket_tls_stream]") {
  // The stream receives into a small inbox when OpenSSL wants more; OpenSSL reads the inbox first and
  // the socket after it. Records of every size around the inbox's, sent back to back, must come out
  // intact and in order, whichever of the two each byte took.
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  CAPTURE(version);
  tls_pair p("alice", version);
  REQUIRE_FALSE(p.handshake().first);
  std::vector<unsigned char> sent;
  const std::vector<std::size_t> sizes{1, 100, 480, 489, 490, 491, 512, 513, 1000, 3000, 16384, 70000, 7};
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const auto piece = pattern(sizes[i], 100 + static_cast<unsigned>(i));
    sent.insert(sent.end(), piece.begin(), piece.end());
  }
  std::vector<unsigned char> got;
  error_code wec, rec;
  int done = 0;
  asio::co_spawn(p.io, [&]() -> asio::awaitable<void> {
    for (std::size_t i = 0, at = 0; i < sizes.size(); at += sizes[i], ++i) {  // one write per record size
      auto [ec, n] = co_await asio::async_write(p.client, asio::buffer(sent.data() + at, sizes[i]), use_tuple);
      if (ec) { wec = ec; break; }
    }
    ++done;
  }, asio::detached);
  asio::co_spawn(p.io, [&]() -> asio::awaitable<void> {
    std::array<unsigned char, 600> piece{};  // about the inbox's size, so reads end inside records too
    while (got.size() < sent.size()) {
      // Wait like an idle keep-alive connection first, then read what came.
      auto [wait_ec] = co_await p.server->async_wait_readable(use_tuple);
      if (wait_ec) { rec = wait_ec; break; }
      auto [ec, n] = co_await p.server->async_read_some(asio::buffer(piece), use_tuple);
      if (ec) { rec = ec; break; }
      got.insert(got.end(), piece.begin(), piece.begin() + static_cast<std::ptrdiff_t>(n));
    }
    ++done;
  }, asio::detached);
  p.run_until([&] { return done == 2; });
  CHECK_FALSE(wec);
  CHECK_FALSE(rec);
  CHECK(got == sent);
}

TEST_CASE("socket_tls_stream: bytes received but not yet read make the stream readable", "[tls][socket_tls_stream]") {
  tls_pair p;
  REQUIRE_FALSE(p.handshake().first);
  asio::write(p.client, asio::buffer(std::string_view("GET / HTTP/1.1\r\n\r\n")));
  bool readable = false;
  p.server->async_wait_readable([&](error_code ec) { CHECK_FALSE(ec); readable = true; });
  p.run_until([&] { return readable; });
  // The record is in the stream now, not in the socket: a second wait must not wait for the socket.
  readable = false;
  bool gave_up = false;
  p.server->async_wait_readable([&](error_code ec) { CHECK_FALSE(ec); readable = true; });
  asio::steady_timer safety(p.io, 5s);  // a hang guard only: the wait completes at once or never
  safety.async_wait([&](error_code) { gave_up = true; });
  p.run_until([&] { return readable || gave_up; });
  CHECK(readable);
  safety.cancel();
  std::array<char, 64> buffer{};
  error_code ec;
  std::size_t got = 0;
  for (int i = 0; i < 100 && got == 0 && !ec; ++i) {  // a record split into two segments needs the second
    got = p.server->read_now(asio::buffer(buffer), ec);
    if (got == 0 && !ec) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE_FALSE(ec);
  CHECK(std::string_view(buffer.data(), got) == "GET / HTTP/1.1\r\n\r\n");
}

TEST_CASE("socket_tls_stream: a shutdown that must read while a read is pending is refused, the read goes on",
          "[tls][socket_tls_stream]") {
  // Both would receive into the one inbox; the stream refuses the second instead of losing bytes.
  tls_pair p;
  REQUIRE_FALSE(p.handshake().first);
  std::array<char, 64> buffer{};
  error_code read_ec, shutdown_ec;
  std::size_t got = 0;
  int done = 0;
  p.server->async_read_some(asio::buffer(buffer), [&](error_code e, std::size_t n) {
    read_ec = e;
    got = n;
    ++done;
  });
  p.server->async_shutdown([&](error_code e) {
    shutdown_ec = e;
    ++done;
    asio::async_write(p.client, asio::buffer(std::string_view("still here")), [&](error_code, std::size_t) { ++done; });
  });
  p.run_until([&] { return done == 3; });
  CHECK(shutdown_ec == asio::error::in_progress);
  CHECK_FALSE(read_ec);
  CHECK(std::string_view(buffer.data(), got) == "still here");
}
