#pragma once
// The client-certificate policy: OpenSSL builds and verifies the chain against trust.roots (with
// trust.intermediates for building) inside the handshake; then pure policy runs over the verified
// chain: max_depth, required EKU, NTAuth. The outcome of each connection is a peer_verdict the session
// attaches to its SSL* before the handshake.

#include "config/config.hpp"
#include "proxy/error.hpp"
#include "proxy/tls/ossl.hpp"

#include <boost/system/error_code.hpp>

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cba::tls {

struct peer_verdict {
  errc reason = errc::ok;
  std::string detail;                  // subject of the offending certificate + OpenSSL's verify text
  bool certificate_presented = false;  // the client sent a (non-empty) certificate chain
};

class certificate_policy : public std::enable_shared_from_this<certificate_policy> {
 public:
  // Reads trust.roots / intermediates / ntauth and resolves required_ekus. Throws std::runtime_error
  // naming the key and file on any problem (start-up only).
  static std::shared_ptr<const certificate_policy> create(const config::trust_config& trust);

  certificate_policy(const certificate_policy&) = delete;
  certificate_policy& operator=(const certificate_policy&) = delete;
  ~certificate_policy();

  // Configures a server SSL_CTX: roots as its verify store, our verify callback, verify mode (peer;
  // FAIL_IF_NO_PEER_CERT under `require`), verify depth, CertificateRequest CA names per
  // trust.advertise. The context keeps this policy alive (shared ownership through SSL_CTX ex_data).
  void install(SSL_CTX* ctx, config::client_certificate_mode mode) const;

  // The session calls this before the handshake; *verdict must outlive the handshake. It is reset to
  // {no_client_certificate, "...", false} and overwritten by the verify callback when a certificate
  // arrives: after a successful handshake reason is ok (verified certificate) or no_client_certificate
  // (optional mode, none sent).
  static void attach(SSL* ssl, peer_verdict* verdict);
  static peer_verdict* attached(SSL* ssl);

  // The reason to log for a failed handshake: the verdict's when a certificate was refused,
  // no_client_certificate when OpenSSL refused a missing one, else handshake_failed.
  static errc handshake_failure_reason(const peer_verdict& verdict, const boost::system::error_code& ec);

  // Pure policy over an already verified chain (leaf first, trust anchor last): depth, EKU, NTAuth.
  peer_verdict evaluate_chain(STACK_OF(X509)* verified_chain) const;

  // The whole check outside a handshake (tests, tools): verify `leaf` with the presented chain plus
  // the configured intermediates, at `at` (default: now), then evaluate_chain.
  peer_verdict verify(X509* leaf, const std::vector<X509*>& presented_chain,
                      std::optional<std::time_t> at = std::nullopt) const;

  // The CA certificates whose subjects go into CertificateRequest (per trust.advertise).
  const std::vector<x509_ptr>& advertised() const noexcept { return advertised_; }
  X509_STORE* roots() const noexcept { return roots_.get(); }

 private:
  certificate_policy() = default;
  static int verify_callback(X509_STORE_CTX* ctx, void* arg);
  // Runs X509_verify_cert on an initialised context (our intermediates added, purpose neutralised),
  // then evaluate_chain; on refusal sets the context's error so OpenSSL sends a fitting alert.
  peer_verdict verify_in(X509_STORE_CTX* ctx) const;

  x509_store_ptr roots_;
  std::vector<x509_ptr> intermediates_;
  std::vector<x509_ptr> ntauth_;
  std::vector<x509_ptr> advertised_;
  std::vector<asn1_object_ptr> required_ekus_;
  std::vector<std::string> required_eku_names_;  // as configured, for messages
  int max_depth_ = 4;
};

}  // namespace cba::tls
