#pragma once
// Revocation checking of verified client-certificate chains (trust.revocation): CRL files, CRLs fetched
// from the certificates' http:// distribution points, and OCSP.
//
// Decisions (see config/README.md for the keys):
// - Runs after OpenSSL verified the chain, never inside the handshake: fetches are asynchronous and
//   the session awaits the verdict, refusing with 403 on the first request (like identity refusals).
// - Semantics: per certificate, revoked when any source says so, good when at least one source gave a
//   fresh good answer, unknown otherwise. Every configured source is asked (a CRL's good does not hide
//   an OCSP revoked). `check: chain` covers the leaf and every CA below the trust anchor, `leaf` only
//   the leaf. The chain is revoked when any certificate is, good when all are, else unknown. `mode`
//   (default hard when any source is configured, else off): hard admits only good, soft also admits
//   unknown (logged, counted), off does not check.
// - All state (CRL snapshot, CDP and OCSP caches, single-flight tables) lives on one worker thread the
//   checker owns: no locks, and no CRL parsing, signature checking or file reading on an io thread.
//   A check hops to the worker and its verdict comes back on the caller's executor.
// - CRL files are read at start, every `refresh` and on reload(), into a new snapshot that replaces the
//   old one whole; connections are never dropped. A CRL whose signature does not verify or that is past
//   nextUpdate is not trusted (logged; its CA's certificates are unknown).
// - Fetched CRLs (CDP) are verified against the certificate's issuer, cached per URL until
//   min(nextUpdate, fetch + refresh), then re-fetched on use; while re-fetching fails the old CRL is
//   used until nextUpdate + stale_if_error. One download per URL at a time; a failed download is not
//   retried for `failure_backoff`.
// - OCSP: the responder override or the certificate's AIA; answers cached per CertID until nextUpdate,
//   at most ocsp.cache_ttl; one request per certificate at a time; failures kept for failure_backoff.
// - reload() re-reads the CRL files and forgets cached answers (fetched CRLs stay as stale-if-error
//   fallbacks), so an operator's SIGHUP makes a revocation effective at once.

#include "config/config.hpp"
#include "proxy/revocation/revocation_verdict.hpp"
#include "proxy/tls/ossl.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cba::revocation {

struct checker_options {
  // Event lines (CRL problems, fetch failures). Empty: dropped.
  std::function<void(config::log_level, std::string_view event, std::string_view detail)> log;
  // How long a failed CRL download or OCSP request is remembered before the next attempt.
  std::chrono::milliseconds failure_backoff{std::chrono::seconds(5)};
};

// Counters for /metrics (cba_revocation_*).
struct checker_stats {
  std::uint64_t good = 0;
  std::uint64_t revoked = 0;
  std::uint64_t unknown_refused = 0;
  std::uint64_t unknown_admitted = 0;
  std::uint64_t crl_fetches = 0;
  std::uint64_t crl_fetch_failures = 0;
  std::uint64_t ocsp_requests = 0;
  std::uint64_t ocsp_failures = 0;
  std::uint64_t coalesced = 0;    // checks that joined a download or OCSP request in flight
  std::uint64_t crl_files = 0;    // CRLs in the current file snapshot
  std::uint64_t reloads = 0;
};

class checker {
 public:
  using chain = std::vector<tls::x509_ptr>;  // verified chain, leaf first, trust anchor last

  // Reads trust.roots / trust.intermediates (for CRL and OCSP signature checks) and the CRL files, and
  // starts the worker. Throws std::runtime_error naming the key at start-up (unreadable bundles);
  // problems with CRL files are logged, not thrown: they make their CA's certificates unknown.
  static std::unique_ptr<checker> create(const config::trust_config& trust, checker_options options = {});
  ~checker();
  checker(const checker&) = delete;
  checker& operator=(const checker&) = delete;

  config::revocation_mode mode() const noexcept;  // the effective mode (default resolved)
  bool enabled() const noexcept { return mode() != config::revocation_mode::off; }

  // Owning copy of SSL_get0_verified_chain's stack (so the check, and later re-checks, may outlive it).
  static chain copy_chain(STACK_OF(X509)* verified_chain);

  // The verdict for `verified_chain` under the configured mode. Awaitable from any executor; the work
  // runs on the worker, bounded by fetch_timeout / ocsp.timeout per network answer. Callable again on
  // the same chain (periodic re-checks). With mode off: good, nothing asked.
  boost::asio::awaitable<revocation_verdict> check(chain verified_chain);
  // The same from a thread that is not an io thread (the `explain` command, tests): blocks.
  revocation_verdict check_blocking(chain verified_chain);

  // Re-reads the CRL files now and forgets cached answers; returns when the new state is in place.
  // Thread-safe; called on SIGHUP.
  void reload();
  // The same without waiting (from an io thread: the SIGHUP handler); the worker logs
  // "revocation_reloaded" when done.
  void request_reload();

  checker_stats stats() const;
  std::string render_prometheus() const;  // Prometheus text, appended to /metrics

 private:
  checker();
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace cba::revocation
