#pragma once
// A loopback HTTP/1.1 server for the pool tests, plain or TLS, on its own io thread. Every response
// body is the 0-based index of the connection it was sent on, so a test can tell whether two
// requests shared a connection.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>

namespace cba::test {

enum class server_mode {
  keep_alive,            // answer every request, keep the connection open
  close_after_response,  // answer (advertising keep-alive), then close the connection
  silent,                // accept, read and discard, never answer (not even a TLS handshake)
};

class loopback_server {
public:
  // `tls` null: plain HTTP. The context must outlive the server.
  loopback_server(server_mode mode, boost::asio::ssl::context* tls);
  ~loopback_server();
  loopback_server(const loopback_server&) = delete;
  loopback_server& operator=(const loopback_server&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::size_t accepted() const noexcept { return accepted_.load(); }

private:
  void start_accept();

  server_mode mode_;
  boost::asio::ssl::context* tls_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> accepted_{0};
  std::thread thread_;
};

// A loopback port on which nothing listens (bound, then closed again).
std::uint16_t closed_port();

}  // namespace cba::test
