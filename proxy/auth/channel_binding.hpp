#pragma once
// TLS channel bindings for Kerberos (Exchange "Extended Protection"): RFC 5929 §4.1
// `tls-server-end-point`, the application data MIT puts into gss_channel_bindings_struct
// (initiator/acceptor address type GSS_C_AF_UNSPEC, empty addresses).

#include <boost/system/result.hpp>

#include <openssl/x509.h>

#include <string>

namespace cba::auth {

// "tls-server-end-point:" followed by the raw hash bytes of the certificate's DER. The hash is the
// certificate signature's hash, except SHA-256 when that is MD5 or SHA-1 (RFC 5929 §4.1).
// Errors: errc::channel_binding_unavailable when `upstream_cert` is null or its signature has no
// single hash (Ed25519/Ed448: RFC 5929 defines no binding for them).
boost::system::result<std::string> tls_server_end_point(X509* upstream_cert);

}  // namespace cba::auth
