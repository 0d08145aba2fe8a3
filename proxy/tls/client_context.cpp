#include "proxy/tls/client_context.hpp"

#include "proxy/tls/pem.hpp"
#include "proxy/tls/server_context.hpp"

#include <boost/asio/ip/address.hpp>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace cba::tls {

boost::asio::ssl::context make_upstream_context(const config::upstream_tls_config& tls) {
  const clear_errors_on_exit guard;
  boost::asio::ssl::context context{boost::asio::ssl::context::tls_client};
  SSL_CTX* ctx = context.native_handle();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
    throw std::runtime_error("upstream tls: cannot set the protocol versions: " + openssl_error_string());
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1) {
    throw std::runtime_error("upstream tls: cannot set the ciphers: " + openssl_error_string());
  }

  if (tls.ca.empty()) throw std::runtime_error("upstreams[].tls.ca is required for an https upstream");
  auto cas = read_certificates(tls.ca);
  if (!cas) throw std::runtime_error("upstreams[].tls.ca (" + tls.ca + "): " + cas.error);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (const auto& ca : cas.value) {
    if (X509_STORE_add_cert(store, ca.get()) != 1) {
      throw std::runtime_error("upstreams[].tls.ca (" + tls.ca + "): " + openssl_error_string());
    }
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  return context;
}

bool prepare_upstream_ssl(SSL* ssl, const std::string& server_name, std::string& error) {
  const clear_errors_on_exit guard;
  std::string name = server_name;
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') name = name.substr(1, name.size() - 2);
  if (name.empty()) {
    error = "no server name to verify the upstream certificate against";
    return false;
  }
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(name, ec);
  if (!ec) {
    const std::string literal = address.to_string();
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), literal.c_str()) != 1) {
      error = "cannot verify the upstream by address " + literal + ": " + openssl_error_string();
      return false;
    }
    return true;
  }
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  // SSL_set_tlsext_host_name, without the macro's C-style cast.
  const long sni_set = SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                                const_cast<char*>(name.c_str()));
  if (sni_set != 1 || SSL_set1_host(ssl, name.c_str()) != 1) {
    error = "cannot use \"" + name + "\" as the upstream server name: " + openssl_error_string();
    return false;
  }
  return true;
}

}  // namespace cba::tls
