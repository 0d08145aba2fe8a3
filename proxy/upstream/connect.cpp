#include "proxy/upstream/connect.hpp"

#include "proxy/error.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace cba::upstream {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;
using clock = std::chrono::steady_clock;

namespace {

std::string host_port(const config::upstream_config& cfg) {
  const bool v6 = cfg.host.find(':') != std::string::npos;
  return (v6 ? "[" + cfg.host + "]" : cfg.host) + ":" + std::to_string(cfg.port);
}

upstream_error failure(errc code, std::string detail) {
  return {make_error_code(code), std::move(detail)};
}

upstream_error timed_out(const config::upstream_config& cfg, const char* step) {
  return failure(errc::upstream_timeout,
                 std::string(step) + " " + host_port(cfg) + " timed out (connect_timeout " +
                     std::to_string(cfg.connect_timeout.count()) + " ms)");
}

bool is_ip_literal(const std::string& name) {
  boost::system::error_code ec;
  net::ip::make_address(name, ec);
  return !ec;
}

// Asks OpenSSL to send SNI and to check the certificate's name (or IP address) during the handshake.
bool set_peer_name(SSL* ssl, const std::string& name) {
  if (is_ip_literal(name)) {  // SNI may not carry an address (RFC 6066 section 3)
    return ::X509_VERIFY_PARAM_set1_ip_asc(::SSL_get0_param(ssl), name.c_str()) == 1;
  }
  // SSL_set_tlsext_host_name without its macro's C cast: OpenSSL copies the name.
  auto* sni = static_cast<void*>(const_cast<char*>(name.c_str()));
  return ::SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, sni) == 1 &&
         ::SSL_set1_host(ssl, name.c_str()) == 1;
}

net::awaitable<boost::system::result<std::vector<tcp::endpoint>, upstream_error>> resolve(
    const config::upstream_config& cfg, const net::any_io_executor& ex, clock::time_point deadline) {
  boost::system::error_code ec;
  const auto address = net::ip::make_address(cfg.host, ec);
  if (!ec) {
    co_return std::vector<tcp::endpoint>{tcp::endpoint(address, cfg.port)};
  }
  // getaddrinfo cannot be interrupted; racing a timer at least frees the session at the deadline.
  using namespace net::experimental::awaitable_operators;
  tcp::resolver resolver(ex);
  net::steady_timer timer(ex, deadline);
  auto outcome = co_await (
      resolver.async_resolve(cfg.host, std::to_string(cfg.port), net::as_tuple(net::use_awaitable)) ||
      timer.async_wait(net::as_tuple(net::use_awaitable)));
  if (outcome.index() == 1) {
    co_return timed_out(cfg, "resolving");
  }
  auto [rec, results] = std::get<0>(std::move(outcome));
  if (rec) {
    co_return failure(errc::upstream_connect_failed,
                      "resolving " + host_port(cfg) + " failed: " + rec.message());
  }
  std::vector<tcp::endpoint> endpoints;
  for (const auto& entry : results) {
    endpoints.push_back(entry.endpoint());
  }
  co_return endpoints;
}

}  // namespace

net::awaitable<connect_result> connect(const config::upstream_config& cfg, net::ssl::context* tls_ctx,
                                       net::any_io_executor ex) {
  const auto deadline = clock::now() + cfg.connect_timeout;
  if (cfg.https && tls_ctx == nullptr) {
    co_return failure(errc::upstream_tls_failed, "no TLS client context for " + host_port(cfg));
  }

  auto endpoints = co_await resolve(cfg, ex, deadline);
  if (!endpoints) {
    co_return endpoints.error();
  }
  // Beast 1.81 mishandles a deadline that has already passed when an operation starts.
  if (clock::now() >= deadline) {
    co_return timed_out(cfg, "connecting to");
  }

  beast::tcp_stream tcp_stream(ex);
  tcp_stream.expires_at(deadline);
  auto [ec, peer] = co_await tcp_stream.async_connect(*endpoints, net::as_tuple(net::use_awaitable));
  if (ec == beast::error::timeout) {
    co_return timed_out(cfg, "connecting to");
  }
  if (ec) {
    co_return failure(errc::upstream_connect_failed,
                      "connect to " + host_port(cfg) + " failed: " + ec.message());
  }
  tcp_stream.expires_never();
  boost::system::error_code ignored;
  tcp_stream.socket().set_option(tcp::no_delay(true), ignored);  // request heads are small writes

  if (!cfg.https) {
    co_return std::make_unique<upstream_stream>(std::move(tcp_stream));
  }

  auto stream = std::make_unique<upstream_stream>(std::move(tcp_stream), *tls_ctx);
  const std::string& name = cfg.tls.server_name.empty() ? cfg.host : cfg.tls.server_name;
  SSL* ssl = stream->native_ssl();
  stream->tls()->set_verify_mode(net::ssl::verify_peer, ignored);  // keeps the context's callback
  if (!set_peer_name(ssl, name)) {
    co_return failure(errc::upstream_tls_failed, "cannot use '" + name + "' as the TLS server name of " +
                                                     host_port(cfg));
  }
  if (clock::now() >= deadline) {
    co_return timed_out(cfg, "TLS handshake with");
  }
  stream->tcp().expires_at(deadline);
  auto [hec] = co_await stream->tls()->async_handshake(net::ssl::stream_base::client,
                                                       net::as_tuple(net::use_awaitable));
  stream->tcp().expires_never();
  if (hec == beast::error::timeout) {
    co_return timed_out(cfg, "TLS handshake with");
  }
  if (hec) {
    std::string detail = "TLS handshake with " + host_port(cfg) + " (server name '" + name + "') failed: ";
    if (const auto verify = ::SSL_get_verify_result(ssl); verify != X509_V_OK) {
      detail += "certificate verification failed: ";
      detail += ::X509_verify_cert_error_string(verify);
    } else {
      detail += hec.message();
    }
    co_return failure(errc::upstream_tls_failed, std::move(detail));
  }
  co_return std::move(stream);
}

}  // namespace cba::upstream
