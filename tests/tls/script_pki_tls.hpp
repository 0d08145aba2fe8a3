#pragma once
// TLS set-ups over the script's PKI (script_pki_file) shared by the handshake tests: the trust and
// listener configuration of the proxy, and a client that verifies the proxy and presents a test identity.

#include "config/config.hpp"

#include <boost/asio/ssl/context.hpp>

#include <string>

namespace cba::tls::testing {

// The script's trust: its roots, intermediates and NTAuth set.
config::trust_config script_trust();

// The proxy's listener with the script's server chain and key.
config::listener_tls_config script_listener(
    config::tls_version min = config::tls_version::v1_2,
    config::client_certificate_mode mode = config::client_certificate_mode::require);

// A client that verifies the proxy's server certificate against the script's roots and presents
// `name`'s chain (none if empty), capped at `max_version` (TLS1_2_VERSION, TLS1_3_VERSION).
boost::asio::ssl::context script_client_context(const std::string& name, int max_version);

}  // namespace cba::tls::testing
