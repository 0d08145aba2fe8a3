#pragma once
// TLS towards https upstreams: the peer is verified against upstream.tls.ca only (never the system
// store) and its name or address is checked.

#include "config/config.hpp"

#include <boost/asio/ssl/context.hpp>

#include <openssl/ssl.h>

#include <string>

namespace cba::tls {

// TLS 1.2+, verify peer against tls.ca, no client certificate. Throws std::runtime_error naming
// upstreams[].tls.ca (start-up only).
boost::asio::ssl::context make_upstream_context(const config::upstream_tls_config& tls);

// Per connection, before the handshake: SNI (host names only, never IP literals) and the identity to
// verify (host name, or IP address for literals; "[::1]" is accepted). False with `error` set when the
// name cannot be used.
bool prepare_upstream_ssl(SSL* ssl, const std::string& server_name, std::string& error);

}  // namespace cba::tls
