#pragma once
// A blocking TLS client that can offer a saved TLS session (ticket) and reports whether the server
// resumed it, for the resumption tests. Every read and write is bounded by a socket timeout.

#include "proxy/tls/ossl.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace cba::test {

using tls::ssl_session_ptr;

struct session_client_options {
  std::string cert_file;  // client certificate and key (PEM); empty: none
  std::string key_file;
  std::string ca_file;    // verifies the proxy's certificate
  int max_version = TLS1_3_VERSION;
};

struct http_reply {
  unsigned status = 0;  // 0: no response
  std::string head;
  std::string body;
  std::optional<std::string> header(const std::string& name) const;
};

class session_client {
 public:
  explicit session_client(session_client_options options);
  ~session_client();
  session_client(const session_client&) = delete;
  session_client& operator=(const session_client&) = delete;

  // TCP connect to 127.0.0.1:port and handshake, offering `resume` when given. False with error().
  bool connect(unsigned short port, SSL_SESSION* resume = nullptr);
  bool resumed() const;
  // GET `path` on this connection; status 0 when the connection ended first.
  http_reply get(const std::string& path);
  // True when the server closes the connection (after a refusal) within the socket timeout.
  bool closed_by_peer();
  // The session to resume later: the latest ticket the server sent (TLS 1.3 sends it after the
  // handshake, so call this after a get()).
  ssl_session_ptr session() const;
  const std::string& error() const noexcept { return error_; }
  void close();

 private:
  bool read_more(std::string& into);
  session_client_options options_;
  tls::ssl_ctx_ptr ctx_;
  tls::ssl_ptr ssl_;
  int fd_ = -1;
  std::string pending_;
  std::string error_;
};

// A copy of `session` whose ticket has one byte flipped in its encrypted part.
ssl_session_ptr tamper_ticket(SSL_SESSION* session);
// A copy of `session` whose session id (TLS 1.2 resumption without tickets) has one bit flipped.
ssl_session_ptr tamper_session_id(SSL_SESSION* session);

// The ticket of `session` as the server sees it: decrypted with `key_file_bytes` (an 80-byte
// nginx-format key: name[16] hmac[32] aes[32]) after checking its key name and HMAC, then parsed.
// Null when the ticket is not under that key or does not authenticate.
ssl_session_ptr open_ticket(SSL_SESSION* session, const std::string& key_file_bytes);
// The raw ticket bytes (to tell a fresh ticket from a re-used one).
std::string ticket_bytes(SSL_SESSION* session);

}  // namespace cba::test
