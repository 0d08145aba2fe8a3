#pragma once
// Which TLS sessions may resume, and what a resumed connection knows about its client certificate.
//
// OpenSSL 3 keeps the peer's leaf certificate and its verify result in the SSL_SESSION (so in the
// ticket), but not the chain that was verified, and a resumption runs no verify callback. So a ticket
// this proxy issues also carries, in its ticket app data (encrypted and authenticated with the
// ticket): when a full handshake verified the certificate, and the verified chain above the leaf
// (trust anchor included, for revocation re-checks). On resumption the decrypt callback re-runs the whole certificate policy
// (chain to today's roots, validity now, EKU, NTAuth: certificate_policy::verify, the same code as a
// full handshake) over the leaf and that chain, and refuses the ticket (a full handshake follows,
// with the client certificate requested again) when:
//   - the ticket carries no verified identity (another implementation, an old format, no client
//     certificate),
//   - the full handshake that verified the certificate is older than trust.recheck_interval
//     (revocation and everything else is then decided afresh), or lies in the future,
//   - the certificate no longer passes the policy.
// A ticket issued on a resumed connection keeps the original verification time: resuming again and
// again never extends it. The session's directory lookup, account checks and mapping run on every
// connection, resumed or not.

#include "proxy/tls/certificate_policy.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cba::tls {

struct ticket_identity {
  std::int64_t verified_at_ms = 0;     // unix time (ms) of the full handshake that verified the leaf
  std::vector<std::string> chain_der;  // DER of the verified chain above the leaf, anchor last
};

// The ticket app data format: "cba1", verified_at (8 bytes big-endian), a count byte, then each
// certificate as a 3-byte big-endian length and its DER. decode refuses anything else.
std::string encode_ticket_identity(const ticket_identity& identity);
std::optional<ticket_identity> decode_ticket_identity(std::string_view bytes);

class resumption_policy : public std::enable_shared_from_this<resumption_policy> {
 public:
  using clock_function = std::chrono::system_clock::time_point (*)();

  static std::shared_ptr<const resumption_policy> create(std::shared_ptr<const certificate_policy> policy,
                                                         std::chrono::milliseconds recheck_interval,
                                                         clock_function now = &std::chrono::system_clock::now);
  resumption_policy(const resumption_policy&) = delete;
  resumption_policy& operator=(const resumption_policy&) = delete;

  // SSL_CTX_set_session_ticket_cb on `ctx`; the context keeps this policy alive.
  void install(SSL_CTX* ctx) const;

  // After a handshake: when the certificate of this connection was verified by a full handshake
  // (now, for a full handshake with a verified certificate; the ticket's time when resumed), or
  // nullopt when no verified certificate backs the connection.
  static std::optional<std::chrono::system_clock::time_point> verified_at(SSL* ssl);
  // The verified chain behind this connection, leaf first, trust anchor last (what revocation checks
  // need): SSL_get0_verified_chain after a full handshake, the leaf and the ticket's chain (re-verified
  // by the decrypt callback) when resumed. Empty when no verified certificate backs the connection.
  static std::vector<x509_ptr> verified_chain(SSL* ssl);
  // Why the last ticket this connection offered was not resumed ("" when none was refused), for logs.
  static std::string refused_ticket_reason(SSL* ssl);

  std::chrono::milliseconds recheck_interval() const noexcept { return recheck_interval_; }

 private:
  resumption_policy() = default;
  static int generate(SSL* ssl, void* arg);
  static SSL_TICKET_RETURN decrypted(SSL* ssl, SSL_SESSION* session, const unsigned char* key_name,
                                     std::size_t key_name_length, SSL_TICKET_STATUS status, void* arg);
  // nullopt: resume; else why not.
  std::optional<std::string> admit(SSL* ssl, SSL_SESSION* session) const;

  std::shared_ptr<const certificate_policy> policy_;
  std::chrono::milliseconds recheck_interval_{std::chrono::minutes(5)};
  clock_function now_ = &std::chrono::system_clock::now;
};

}  // namespace cba::tls
