#pragma once
// A TLS client that sends arbitrary bytes and reads raw responses, for the cases curl cannot express
// (exact head sizes, smuggling forms, throttled uploads). Synchronous; every call has a timeout.

#include "tests/support/http_text.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace cba::test {

struct tls_client_options {
  std::string cert_file;  // client certificate (PEM, may hold the chain); empty: none
  std::string key_file;
  std::string ca_file;    // verify the server against it; empty: no verification
  std::string server_name = "localhost";  // SNI and the name verified
  bool tls12_only = false;                // cap at TLS 1.2 (renegotiation exists only there)
};

struct raw_response {
  unsigned status = 0;
  std::string raw_head;
  header_list headers;
  std::string body;  // de-chunked
  std::optional<std::string> header(std::string_view name) const { return find_header(headers, name); }
};

class raw_tls_client {
 public:
  raw_tls_client();
  ~raw_tls_client();
  raw_tls_client(const raw_tls_client&) = delete;
  raw_tls_client& operator=(const raw_tls_client&) = delete;

  // TCP connect and TLS handshake.
  boost::system::error_code connect(const boost::asio::ip::tcp::endpoint& endpoint,
                                    const tls_client_options& options, std::chrono::milliseconds timeout);
  boost::system::error_code write(std::string_view bytes, std::chrono::milliseconds timeout);
  // One response (1xx included): head, then the body by Content-Length, chunked, or until close.
  // nullopt when the connection ended or the time ran out before a whole response; see last_error().
  std::optional<raw_response> read_response(std::chrono::milliseconds timeout);
  // The next response head only (the answer to a HEAD request: no body follows whatever its framing
  // headers say); whatever came after it stays for the next read.
  std::optional<raw_response> read_head(std::chrono::milliseconds timeout);
  // Skips 1xx responses.
  std::optional<raw_response> read_final_response(std::chrono::milliseconds timeout);
  // True when the peer ends the connection (EOF, reset, TLS close) within `timeout`; bytes that arrive
  // first are kept in pending().
  bool wait_closed(std::chrono::milliseconds timeout);

  // Asks for a TLS 1.2 renegotiation; the next write/read runs it. False when OpenSSL refuses locally.
  bool request_renegotiation();

  const std::string& pending() const noexcept;
  boost::system::error_code last_error() const noexcept;
  void close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace cba::test
