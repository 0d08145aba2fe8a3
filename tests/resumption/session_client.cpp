#include "tests/resumption/session_client.hpp"

#include "tests/support/http_text.hpp"

#include <openssl/err.h>
#include <openssl/hmac.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace cba::test {
namespace {

constexpr int io_timeout_seconds = 15;

std::string ssl_errors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += (out.empty() ? "" : "; ") + std::string(buf);
  }
  return out.empty() ? "no OpenSSL detail" : out;
}

}  // namespace

std::optional<std::string> http_reply::header(const std::string& name) const {
  auto parsed = parse_head(head);
  if (!parsed) return std::nullopt;
  return find_header(parsed->headers, name);
}

session_client::session_client(session_client_options options) : options_(std::move(options)) {
  ctx_.reset(SSL_CTX_new(TLS_client_method()));
  if (!ctx_) throw std::runtime_error("SSL_CTX_new: " + ssl_errors());
  SSL_CTX_set_max_proto_version(ctx_.get(), options_.max_version);
  SSL_CTX_set_session_cache_mode(ctx_.get(), SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  if (!options_.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx_.get(), options_.ca_file.c_str(), nullptr) != 1)
      throw std::runtime_error("CA " + options_.ca_file + ": " + ssl_errors());
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
  }
  if (!options_.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx_.get(), options_.cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx_.get(), options_.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
      throw std::runtime_error("client certificate " + options_.cert_file + ": " + ssl_errors());
  }
}

session_client::~session_client() { close(); }

void session_client::close() {
  if (ssl_) {
    // Freeing an SSL that was not shut down marks its session not resumable (OpenSSL's
    // ssl_clear_bad_session); a quiet shutdown only records that we ended it.
    SSL_set_quiet_shutdown(ssl_.get(), 1);
    SSL_shutdown(ssl_.get());
    ssl_.reset();
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  pending_.clear();
}

bool session_client::connect(unsigned short port, SSL_SESSION* resume) {
  close();
  ERR_clear_error();
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) {
    error_ = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  timeval tv{io_timeout_seconds, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    error_ = std::string("connect: ") + std::strerror(errno);
    return false;
  }
  ssl_.reset(SSL_new(ctx_.get()));
  SSL_set_fd(ssl_.get(), fd_);
  // SSL_set_tlsext_host_name is a macro with a C cast; this is its expansion.
  SSL_ctrl(ssl_.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>("localhost"));
  SSL_set1_host(ssl_.get(), "localhost");
  if (resume != nullptr) SSL_set_session(ssl_.get(), resume);
  if (SSL_connect(ssl_.get()) != 1) {
    error_ = "handshake: " + ssl_errors();
    return false;
  }
  return true;
}

bool session_client::resumed() const { return ssl_ && SSL_session_reused(ssl_.get()) == 1; }

bool session_client::read_more(std::string& into) {
  char buf[16384];
  const int n = SSL_read(ssl_.get(), buf, sizeof buf);
  if (n <= 0) return false;
  into.append(buf, static_cast<std::size_t>(n));
  return true;
}

http_reply session_client::get(const std::string& path) {
  http_reply reply;
  if (!ssl_) return reply;
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
  if (SSL_write(ssl_.get(), request.data(), static_cast<int>(request.size())) <= 0) {
    error_ = "write: " + ssl_errors();
    return reply;
  }
  std::size_t head_end = std::string::npos;
  while ((head_end = find_head_end(pending_)) == std::string::npos) {
    if (!read_more(pending_)) return reply;
  }
  reply.head = pending_.substr(0, head_end);
  auto parsed = parse_head(reply.head);
  if (!parsed) return reply;
  const auto& start = parsed->start_line;
  if (start.size() >= 12) reply.status = static_cast<unsigned>(std::stoul(start.substr(9, 3)));
  pending_.erase(0, head_end);
  if (auto length = find_header(parsed->headers, "Content-Length")) {
    const auto size = static_cast<std::size_t>(std::stoull(*length));
    while (pending_.size() < size) {
      if (!read_more(pending_)) break;
    }
    reply.body = pending_.substr(0, std::min(size, pending_.size()));
    pending_.erase(0, reply.body.size());
  } else if (has_token(parsed->headers, "Transfer-Encoding", "chunked")) {
    chunked_decoder decoder;
    for (;;) {
      decoder.feed(pending_, reply.body);
      if (decoder.done() || decoder.failed()) break;
      if (!read_more(pending_)) break;
    }
  }
  return reply;
}

bool session_client::closed_by_peer() {
  if (!ssl_) return true;
  std::string ignored;
  errno = 0;
  while (read_more(ignored)) {
  }
  // A read that timed out (EAGAIN) leaves errno set; EOF, reset and close_notify end the loop too.
  return errno != EAGAIN && errno != EWOULDBLOCK;
}

ssl_session_ptr session_client::session() const {
  if (!ssl_) return nullptr;
  return ssl_session_ptr{SSL_get1_session(ssl_.get())};
}

ssl_session_ptr tamper_ticket(SSL_SESSION* session) {
  const unsigned char* ticket = nullptr;
  std::size_t ticket_length = 0;
  SSL_SESSION_get0_ticket(session, &ticket, &ticket_length);
  if (ticket == nullptr || ticket_length < 32) throw std::runtime_error("the session holds no ticket");
  const int der_length = i2d_SSL_SESSION(session, nullptr);
  std::string der(static_cast<std::size_t>(der_length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_SSL_SESSION(session, &out);
  const auto at = der.find(std::string_view(reinterpret_cast<const char*>(ticket), ticket_length));
  if (at == std::string::npos) throw std::runtime_error("the ticket is not in the session's DER");
  der[at + ticket_length / 2] = static_cast<char>(der[at + ticket_length / 2] ^ 0x01);
  const auto* in = reinterpret_cast<const unsigned char*>(der.data());
  ssl_session_ptr copy{d2i_SSL_SESSION(nullptr, &in, der_length)};
  if (!copy) throw std::runtime_error("d2i_SSL_SESSION: " + ssl_errors());
  return copy;
}

ssl_session_ptr tamper_session_id(SSL_SESSION* session) {
  unsigned int length = 0;
  const unsigned char* id = SSL_SESSION_get_id(session, &length);
  if (id == nullptr || length == 0) throw std::runtime_error("the session has no id");
  std::string changed(reinterpret_cast<const char*>(id), length);
  changed[length / 2] = static_cast<char>(changed[length / 2] ^ 0x01);
  ssl_session_ptr copy{SSL_SESSION_dup(session)};
  if (!copy || SSL_SESSION_set1_id(copy.get(), reinterpret_cast<const unsigned char*>(changed.data()), length) != 1) {
    throw std::runtime_error("cannot copy the session: " + ssl_errors());
  }
  return copy;
}

std::string ticket_bytes(SSL_SESSION* session) {
  const unsigned char* ticket = nullptr;
  std::size_t length = 0;
  SSL_SESSION_get0_ticket(session, &ticket, &length);
  return ticket != nullptr ? std::string(reinterpret_cast<const char*>(ticket), length) : std::string();
}

ssl_session_ptr open_ticket(SSL_SESSION* session, const std::string& key_file_bytes) {
  // OpenSSL's stateless ticket: key_name[16] iv[16] AES-CBC(i2d_SSL_SESSION) HMAC-SHA256[32] over the rest.
  const std::string ticket = ticket_bytes(session);
  if (key_file_bytes.size() != 80 || ticket.size() < 16 + 16 + 16 + 32) return nullptr;
  if (ticket.compare(0, 16, key_file_bytes, 0, 16) != 0) return nullptr;
  const auto* bytes = reinterpret_cast<const unsigned char*>(ticket.data());
  const auto* key = reinterpret_cast<const unsigned char*>(key_file_bytes.data());
  const std::size_t mac_at = ticket.size() - 32;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  if (HMAC(EVP_sha256(), key + 16, 32, bytes, mac_at, mac, &mac_length) == nullptr || mac_length != 32 ||
      CRYPTO_memcmp(mac, bytes + mac_at, 32) != 0) {
    return nullptr;
  }
  std::unique_ptr<EVP_CIPHER_CTX, tls::ossl_deleter<EVP_CIPHER_CTX_free>> ctx{EVP_CIPHER_CTX_new()};
  std::string plain(mac_at, '\0');
  int out = 0;
  int last = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key + 48, bytes + 16) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &out, bytes + 32,
                        static_cast<int>(mac_at - 32)) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + out, &last) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  const auto* in = reinterpret_cast<const unsigned char*>(plain.data());
  ssl_session_ptr opened{d2i_SSL_SESSION(nullptr, &in, out + last)};
  if (!opened) ERR_clear_error();
  return opened;
}

}  // namespace cba::test
