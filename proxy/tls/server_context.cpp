#include "proxy/tls/server_context.hpp"

#include "proxy/tls/pem.hpp"
#include "proxy/tls/resumption_policy.hpp"

#include <openssl/err.h>

#include <algorithm>
#include <stdexcept>

namespace cba::tls {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("listener tls: " + what + ": " + openssl_error_string());
}

}  // namespace

boost::asio::ssl::context make_server_context(const config::listener_tls_config& tls,
                                              const certificate_policy& policy,
                                              const session_resumption& resumption) {
  const clear_errors_on_exit guard;
  boost::asio::ssl::context context{boost::asio::ssl::context::tls_server};
  SSL_CTX* ctx = context.native_handle();

  const int min_version = tls.min_version == config::tls_version::v1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
    fail("cannot set the protocol versions");
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // One ticket per handshake, half of OpenSSL's default cost. Stateless tickets unless
  // resumption_policy keeps the sessions in this process (no ticket key files: install() below turns
  // on stateful tickets and its own session cache); which sessions may resume is its decision.
  SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx, 1);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  // The ticket lifetime clients are told (and OpenSSL enforces) is the re-check interval: an older
  // ticket would be refused anyway.
  const auto lifetime = std::chrono::duration_cast<std::chrono::seconds>(resumption.recheck_interval).count();
  SSL_CTX_set_timeout(ctx, std::max<long>(1, static_cast<long>(lifetime)));
  static constexpr unsigned char session_context[] = "cba-proxy";
  SSL_CTX_set_session_id_context(ctx, session_context, sizeof session_context - 1);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1) fail("cannot set the TLS 1.2 ciphers");
  if (SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1) fail("cannot set the key exchange groups");

  auto chain = read_certificates(tls.certificate_chain);
  if (!chain) {
    throw std::runtime_error("tls.certificate_chain (" + tls.certificate_chain + "): " + chain.error);
  }
  if (SSL_CTX_use_certificate(ctx, chain.value.front().get()) != 1) {
    fail("tls.certificate_chain (" + tls.certificate_chain + "): cannot use the certificate");
  }
  for (std::size_t i = 1; i < chain.value.size(); ++i) {
    if (SSL_CTX_add1_chain_cert(ctx, chain.value[i].get()) != 1) {
      fail("tls.certificate_chain (" + tls.certificate_chain + "): cannot add chain certificate " +
           std::to_string(i + 1));
    }
  }
  auto key = read_private_key(tls.private_key);
  if (!key) throw std::runtime_error("tls.private_key (" + tls.private_key + "): " + key.error);
  if (SSL_CTX_use_PrivateKey(ctx, key.value.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    throw std::runtime_error("tls.private_key (" + tls.private_key +
                             ") does not match the first certificate of tls.certificate_chain (" +
                             tls.certificate_chain + ")");
  }

  policy.install(ctx, tls.client_certificate);
  auto keys = resumption.keys ? resumption.keys : session_ticket_keys::create({});
  keys->install(ctx);
  resumption_policy::create(policy.shared_from_this(), resumption.recheck_interval,
                            &std::chrono::system_clock::now, keys)
      ->install(ctx);
  return context;
}

}  // namespace cba::tls
