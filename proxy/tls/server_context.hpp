#pragma once
// The TLS context of a listener: TLS 1.2/1.3, the server chain and key, the client-certificate policy,
// no renegotiation, no post-handshake auth, no resumption (a resumed session carries no certificate).

#include "config/config.hpp"
#include "proxy/tls/certificate_policy.hpp"

#include <boost/asio/ssl/context.hpp>

namespace cba::tls {

// Throws std::runtime_error naming the key and file (start-up only). The context keeps `policy` alive.
boost::asio::ssl::context make_server_context(const config::listener_tls_config& tls,
                                              const certificate_policy& policy);

// The cipher suites offered with TLS 1.2 (forward secret AEAD only); TLS 1.3 uses OpenSSL's defaults.
inline constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

}  // namespace cba::tls
