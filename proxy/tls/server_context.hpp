#pragma once
// The TLS context of a listener: TLS 1.2/1.3, the server chain and key, the client-certificate policy,
// no renegotiation, no post-handshake auth. Resumption only through stateless session tickets (no
// server-side cache) that carry the verified identity (proxy/tls/resumption_policy.hpp); one ticket
// per handshake.

#include "config/config.hpp"
#include "proxy/tls/certificate_policy.hpp"
#include "proxy/tls/session_ticket_keys.hpp"

#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <memory>

namespace cba::tls {

struct session_resumption {
  // The listener's ticket keys (the server keeps them to reload on SIGHUP). Null: a random key that
  // lives as long as the context.
  std::shared_ptr<session_ticket_keys> keys;
  // trust.recheck_interval: a ticket whose certificate was verified longer ago does not resume.
  std::chrono::milliseconds recheck_interval{std::chrono::minutes(5)};
};

// Throws std::runtime_error naming the key and file (start-up only). The context keeps `policy` and
// the ticket keys alive.
boost::asio::ssl::context make_server_context(const config::listener_tls_config& tls,
                                              const certificate_policy& policy,
                                              const session_resumption& resumption = {});

// The cipher suites offered with TLS 1.2 (forward secret AEAD only); TLS 1.3 uses OpenSSL's defaults.
inline constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

}  // namespace cba::tls
