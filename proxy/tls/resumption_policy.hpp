#pragma once
// Which TLS sessions may resume, and what a resumed connection knows about its client certificate.
//
// OpenSSL 3 keeps the peer's leaf certificate and its verify result in the SSL_SESSION (so in the
// ticket), but not the chain that was verified, and a resumption runs no verify callback. So a ticket
// this proxy issues also carries, in its ticket app data (encrypted and authenticated with the
// ticket): when a full handshake verified the certificate, and the verified chain above the leaf
// (trust anchor included, for revocation re-checks). On resumption the decrypt callback re-applies the
// whole certificate policy (chain to today's roots, validity now, EKU, NTAuth: certificate_policy::verify,
// the same code as a full handshake) to the leaf and that chain, and refuses the ticket (a full
// handshake follows, with the client certificate requested again) when:
//   - the ticket carries no verified identity (another implementation, an old format, no client
//     certificate),
//   - the full handshake that verified the certificate is older than trust.recheck_interval
//     (revocation and everything else is then decided afresh), or lies in the future,
//   - the certificate no longer passes the policy.
// Every resumed TLS 1.3 connection gets one fresh ticket (clients use a ticket once), and a ticket
// issued on a resumed connection keeps the ORIGINAL verification time: resuming again and again never
// extends it past trust.recheck_interval. The session's directory lookup, account checks, mapping and
// revocation check run on every connection, resumed or not.
//
// Re-verifying costs more than the rest of a resumption (parsing the chain out of the ticket, then
// X509_verify_cert), and a phone resumes the same chain again and again. So the policy's verdict on
// exactly these bytes (leaf DER + the ticket's chain DERs, by SHA-256) is remembered for a short time
// (verdict_cache: at most min(recheck_interval, 60s), bounded in size) together with the parsed chain;
// a hit skips parsing and X509_verify_cert but still checks, at every use, that every certificate of
// the leaf and chain is inside its validity period now. Only passing verdicts are remembered. The
// policy (roots, intermediates, NTAuth, EKUs, depth) is fixed for the lifetime of a resumption_policy,
// so the verdict can only change with time (checked) or a new policy (a new, empty cache); the cache is
// also emptied when the listener's ticket keys are reloaded (SIGHUP).
//
// Where sessions live depends on the listener's ticket keys. With key files (instances and restarts
// share them) the session travels in the ticket as above. Without, a ticket could only ever resume in
// this process, so the session stays in this process (session_store) and the client's ticket is just
// its id: the same admission rules run on the stored identity (verification time, the verdict on the
// chain, re-verified once its time is up), without sealing and decoding the session, its certificate
// and the chain on every connection.
#include "proxy/tls/ca_interner.hpp"
#include "proxy/tls/certificate_policy.hpp"
#include "proxy/tls/session_store.hpp"
#include "proxy/tls/session_ticket_keys.hpp"
#include "proxy/tls/verdict_cache.hpp"

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

  // `keys`: the listener's ticket keys, whose reloads empty the verdict cache. Null or without key
  // files: sessions are kept in this process (session_store) instead of in the tickets.
  static std::shared_ptr<const resumption_policy> create(std::shared_ptr<const certificate_policy> policy,
                                                         std::chrono::milliseconds recheck_interval,
                                                         clock_function now = &std::chrono::system_clock::now,
                                                         std::shared_ptr<const session_ticket_keys> keys = nullptr);
  // How long a verdict is remembered: min(recheck_interval, 60s).
  static std::chrono::milliseconds verdict_ttl(std::chrono::milliseconds recheck_interval);
  resumption_policy(const resumption_policy&) = delete;
  resumption_policy& operator=(const resumption_policy&) = delete;

  // SSL_CTX_set_session_ticket_cb on `ctx` (and, keeping sessions in this process, stateful tickets
  // and the session cache callbacks); the context keeps this policy alive.
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
  // A TLS 1.3 ticket that is sure to resume (admitted, and its cipher suite's hash matches the one
  // chosen) makes the decrypt callback drop this connection's client-certificate request (a resumption
  // never sends one, but OpenSSL keeps the ClientHello transcript buffered for it, ~2-3 KiB, for the
  // connection's lifetime). True when that happened and the handshake nevertheless did not resume:
  // the client was never asked for its certificate, and the connection must be refused.
  static bool certificate_request_skipped(SSL* ssl);
  // Once the handshake is over (tickets sent, refused_ticket_reason read): frees what only the
  // handshake needed, so an idle connection holds less. The identity data in the session (already in
  // the tickets sent) and the resumed ticket's copy of it are dropped; the CA certificates of the
  // verified and presented chains are swapped for shared copies of the same certificates (ca_interner).
  // verified_at, verified_chain and the peer certificate answer as before. Does nothing on an SSL
  // whose context has no resumption_policy.
  static void release_handshake_state(SSL* ssl);

  std::chrono::milliseconds recheck_interval() const noexcept { return recheck_interval_; }
  const verdict_cache& cache() const noexcept { return *cache_; }

  // What the policy holds in memory now, for /metrics (each figure bounded; see the .cpp constants).
  struct occupancy {
    std::size_t kept_sessions = 0;   // sessions in the store (0 with ticket key files: none kept)
    std::size_t verdicts = 0;        // remembered chain verdicts
    std::size_t shared_cas = 0;      // interned CA certificates
  };
  occupancy current_occupancy() const;
  // The policy install() put on `ctx`, or null.
  static const resumption_policy* installed_on(SSL_CTX* ctx);

 private:
  resumption_policy() = default;
  static int generate(SSL* ssl, void* arg);
  static SSL_TICKET_RETURN decrypted(SSL* ssl, SSL_SESSION* session, const unsigned char* key_name,
                                     std::size_t key_name_length, SSL_TICKET_STATUS status, void* arg);
  // The session cache callbacks (sessions kept in this process).
  static int remember(SSL* ssl, SSL_SESSION* session);
  static SSL_SESSION* recall(SSL* ssl, const unsigned char* id, int length, int* copy);
  // nullopt: resume; else why not.
  std::optional<std::string> admit(SSL* ssl, SSL_SESSION* session) const;
  std::optional<std::string> admit_stored(SSL* ssl, const stored_session& stored) const;
  void share_ca_copies(SSL* ssl) const;
  // The checks on the identity's age both kinds of session share; nullopt when it is young enough.
  std::optional<std::string> too_old(std::int64_t verified_at_ms, std::int64_t now_ms) const;
  // Resumption admitted: the connection carries this identity from now on.
  std::optional<std::string> adopt(SSL* ssl, std::int64_t verified_at_ms,
                                   std::shared_ptr<const verified_ticket_chain> chain, std::string_view appdata) const;

  std::shared_ptr<const certificate_policy> policy_;
  std::shared_ptr<const session_ticket_keys> keys_;
  std::chrono::milliseconds recheck_interval_{std::chrono::minutes(5)};
  clock_function now_ = &std::chrono::system_clock::now;
  std::unique_ptr<verdict_cache> cache_;  // mutable state behind a const policy (thread-safe)
  std::unique_ptr<ca_interner> interner_;  // the same
  std::unique_ptr<session_store> store_;   // the same; null when sessions travel in the tickets
};

}  // namespace cba::tls
