#include "tests/tls/script_pki_tls.hpp"

#include "proxy/tls/client_context.hpp"
#include "tests/tls/test_certs.hpp"

namespace cba::tls::testing {

config::trust_config script_trust() {
  config::trust_config trust;
  trust.roots = script_pki_file("roots.pem");
  trust.intermediates = script_pki_file("intermediates.pem");
  trust.ntauth = script_pki_file("ntauth.pem");
  return trust;
}

config::listener_tls_config script_listener(config::tls_version min, config::client_certificate_mode mode) {
  config::listener_tls_config tls;
  tls.certificate_chain = script_pki_file("server-chain.pem");
  tls.private_key = script_pki_file("server.key");
  tls.min_version = min;
  tls.client_certificate = mode;
  return tls;
}

boost::asio::ssl::context script_client_context(const std::string& name, int max_version) {
  boost::asio::ssl::context ctx = make_upstream_context({script_pki_file("roots.pem"), {}});
  SSL_CTX_set_max_proto_version(ctx.native_handle(), max_version);
  if (!name.empty()) {
    ctx.use_certificate_chain_file(script_pki_file(name + "-chain.pem"));
    ctx.use_private_key_file(script_pki_file(name + ".key"), boost::asio::ssl::context::pem);
  }
  return ctx;
}

}  // namespace cba::tls::testing
