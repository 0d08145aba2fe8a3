// fast_upstream --listen 127.0.0.1:PORT [--threads N]: the benchmark's upstream. Answers every HTTP/1.1
// request with a fixed 200 and a 3-byte body on keep-alive connections (pipelined requests answered in
// order), and nothing else, so that the proxies in front of it are what the benchmark measures.
// Request bodies are skipped by Content-Length (chunked request bodies are not supported: GET only).

#include <boost/asio.hpp>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr std::string_view response =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n";

// Content-Length of a request head (0 without one); case-insensitive name match.
std::size_t content_length(std::string_view head) {
  for (std::size_t pos = 0; (pos = head.find('\n', pos)) != std::string_view::npos;) {
    ++pos;
    if (head.size() - pos > 15 && strncasecmp(head.data() + pos, "content-length:", 15) == 0) {
      std::size_t i = pos + 15;
      while (i < head.size() && head[i] == ' ') ++i;
      std::size_t n = 0;
      std::from_chars(head.data() + i, head.data() + head.size(), n);
      return n;
    }
  }
  return 0;
}

asio::awaitable<void> serve(tcp::socket socket) {
  socket.set_option(tcp::no_delay(true));
  std::string in;
  std::string out;
  std::size_t skip = 0;  // body bytes of the current request still to discard
  char buf[16384];
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    std::string_view data(buf, n);
    const std::size_t drop = std::min(skip, data.size());
    skip -= drop;
    in.append(data.substr(drop));
    out.clear();
    for (;;) {
      const auto end = in.find("\r\n\r\n");
      if (end == std::string::npos) break;
      const std::size_t body = content_length(std::string_view(in).substr(0, end + 2));
      const std::size_t have = std::min(body, in.size() - end - 4);
      skip = body - have;
      in.erase(0, end + 4 + have);
      out.append(response);
    }
    if (in.size() > 65536) co_return;
    if (!out.empty()) {
      auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(out), asio::as_tuple(asio::use_awaitable));
      if (wec) co_return;
    }
  }
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      continue;  // EMFILE and the like: keep serving the connections we have
    }
    auto executor = socket.get_executor();
    asio::co_spawn(executor, serve(std::move(socket)), asio::detached);
  }
}

int usage() {
  std::fprintf(stderr, "usage: fast_upstream --listen 127.0.0.1:PORT [--threads N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen;
  int threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--listen") == 0) listen = argv[i + 1];
    else if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
    else return usage();
  }
  if (argc % 2 == 0 || threads < 1 || threads > 64) return usage();
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return usage();
  try {
    asio::io_context io(threads);
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address(listen.substr(0, colon)),
                                             static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)))));
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](auto, auto) {
      acceptor.close();
      io.stop();
    });
    asio::co_spawn(io, accept_loop(acceptor), asio::detached);
    std::printf("fast_upstream listening on %s (%d threads)\n", listen.c_str(), threads);
    std::fflush(stdout);
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : pool) t.join();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fast_upstream: %s\n", e.what());
    return 1;
  }
  return 0;
}
