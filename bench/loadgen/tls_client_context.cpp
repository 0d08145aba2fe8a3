#include "bench/loadgen/tls_client_context.hpp"

#include <openssl/err.h>

#include <cstdio>

namespace cba::bench {

namespace {

// In TLS 1.3 tickets arrive after the handshake; OpenSSL hands each one here. Keeping the latest per
// slot is what a phone does (one session per server).
int on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* slot = static_cast<session_slot*>(SSL_get_ex_data(ssl, 0));
  if (slot == nullptr) return 0;
  slot->session.reset(session);
  return 1;  // we took the reference
}

ssl_ctx_ptr failed(const char* what, const std::string& file) {
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  std::fprintf(stderr, "loadgen: %s '%s': %s\n", what, file.c_str(), buf);
  return nullptr;
}

}  // namespace

ssl_ctx_ptr make_client_context(const options& o) {
  ssl_ctx_ptr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return failed("SSL_CTX_new", "");
  int min = TLS1_2_VERSION, max = TLS1_3_VERSION;
  if (o.tls_version == "1.2") max = TLS1_2_VERSION;
  if (o.tls_version == "1.3") min = TLS1_3_VERSION;
  SSL_CTX_set_min_proto_version(ctx.get(), min);
  SSL_CTX_set_max_proto_version(ctx.get(), max);
  // Idle mode drops its SSL objects anyway; elsewhere this keeps the client's footprint small.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  if (!o.cert_chain.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), o.cert_chain.c_str()) != 1) {
      return failed("cannot load certificate chain", o.cert_chain);
    }
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), o.key.c_str(), SSL_FILETYPE_PEM) != 1) {
      return failed("cannot load private key", o.key);
    }
  }
  if (!o.ca.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), o.ca.c_str(), nullptr) != 1) return failed("cannot load CA", o.ca);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  }
  if (o.mode == load_mode::resumed) {
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx.get(), on_new_session);
  } else {
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  }
  return ctx;
}

}  // namespace cba::bench
