#pragma once
// The client SSL_CTX every worker shares: the client certificate, no server verification unless a CA is
// given (it would only add client CPU), and, for resumed mode, sessions kept per connection slot.

#include "bench/loadgen/options.hpp"

#include <openssl/ssl.h>

#include <memory>

namespace cba::bench {

template <auto Free>
struct ossl_free {
  template <class T>
  void operator()(T* p) const noexcept { Free(p); }
};
using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, ossl_free<SSL_CTX_free>>;
using ssl_ptr = std::unique_ptr<SSL, ossl_free<SSL_free>>;
using ssl_session_ptr = std::unique_ptr<SSL_SESSION, ossl_free<SSL_SESSION_free>>;

// Receives the sessions (tickets) the server issues on an SSL whose app data points at the slot.
struct session_slot {
  ssl_session_ptr session;
};

// Nullptr (message printed with OpenSSL's error queue) when a file does not load.
ssl_ctx_ptr make_client_context(const options& o);

}  // namespace cba::bench
