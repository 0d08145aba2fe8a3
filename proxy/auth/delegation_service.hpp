#pragma once
// Kerberos constrained delegation (MS-SFU) for `auth: kerberos` routes: a ticket for the resolved
// account to the route's service_principal, obtained with the proxy's own key, turned into a
// per-upstream-connection SPNEGO initiator (negotiate_context).
//
//   auto r = co_await svc.async_start("alice@EXAMPLE.TEST", "HTTP/exchange.example.test",
//                                     binding /* optional tls_server_end_point(...) */, ex,
//                                     boost::asio::use_awaitable);
//   if (!r) { log(r.error().detail); refuse(r.error().code); }   // to_http_status(errc)
//   req.set(http::field::authorization, r->authorization());
//   ... response: auto e = r->verify_reply(www_authenticate_value); if (e.code) -> mutual_auth_failed
//
// How: the service credential is acquired with gss_acquire_cred_from from an explicit cred store
// (`client_keytab` = kerberos.keytab, `ccache` = a MEMORY: ccache private to this instance); the
// process default ccache and keytab are never used. It is re-acquired when its TGT has less than
// ticket_cache.refresh_before_expiry left. Protocol transition: gss_acquire_cred_impersonate_name
// (S4U2Self, SPNEGO mech); the first gss_init_sec_context with that credential does S4U2Proxy to the
// target "service@host" (GSS_C_NT_HOSTBASED_SERVICE, from the SPN "HTTP/host"; an SPN with "@REALM"
// is imported as a Kerberos principal name so the realm is kept). Flags: mutual + sequence, never
// GSS_C_DELEG_FLAG.
//
// Cache: per (user principal, SPN) the impersonated credential, which holds the S4U2Self evidence
// ticket and, after the first context, the S4U2Proxy service ticket, so a cache hit builds a context
// without KDC traffic. Entries live until refresh_before_expiry before the earlier of the two
// tickets ends; at most max_entries (least recently used out). Concurrent misses for one key make one
// KDC exchange (single-flight): the others wait for it and then use its credential.
//
// Threads: every GSS call that may talk to the KDC (service credential, S4U2Self, S4U2Proxy, every
// initial gss_init_sec_context, hits included) runs on a private boost::asio::thread_pool of
// `threads` threads, never on the caller's thread. The completion runs on `ex` (the caller's
// executor, e.g. the session's io_context), never inline. A start that takes longer than `kdc_timeout`
// completes with errc::kdc_unavailable; the pool work goes on and its result is dropped (or cached
// for the next start) safely: it owns what it uses through shared state.
//
// KRB5 configuration: MIT krb5 reads KRB5_CONFIG when a library context is created, and GSSAPI has no
// per-call way to name a krb5.conf. kerberos.krb5_conf is therefore applied process-wide by
// use_krb5_config() (proxy/auth/krb5_environment.hpp), which main must call once at start-up BEFORE any
// thread uses krb5 or reads the environment. Limitation: one krb5.conf per process.
//
// Thread safety: async_start, invalidate and stats may be called from any thread concurrently. The
// destructor must not run while an async_start is waiting for its completion handler to be called;
// it stops the pool and joins it, so it waits for KDC calls already running (bounded by krb5's own
// KDC timeouts), then releases every credential and destroys the private ccache.

#include "config/config.hpp"
#include "proxy/auth/delegation_error.hpp"
#include "proxy/auth/negotiate_context.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace cba::auth {

using start_result = boost::system::result<negotiate_context, delegation_error>;

struct delegation_stats {
  std::uint64_t kdc_exchanges = 0;        // S4U2Self+S4U2Proxy chains actually made (cache misses led)
  std::uint64_t cache_hits = 0;           // starts served by a cached credential
  std::uint64_t cache_misses = 0;         // starts that found no usable entry (led or joined a flight)
  std::uint64_t failures = 0;             // starts completed with an error (including timeouts)
  std::uint64_t service_credential_acquisitions = 0;  // the proxy's own TGT (first + renewals)
  std::uint64_t entries = 0;              // credentials cached now
};

class delegation_service {
 public:
  // No KDC traffic here; the service credential is acquired on first use (on the pool).
  // cfg.principal e.g. "svc-cba@EXAMPLE.TEST", cfg.keytab its keytab; cfg.krb5_conf: see above.
  explicit delegation_service(const config::kerberos_config& cfg, std::size_t threads = 2,
                              std::chrono::milliseconds kdc_timeout = std::chrono::seconds(5));
  ~delegation_service();
  delegation_service(const delegation_service&) = delete;
  delegation_service& operator=(const delegation_service&) = delete;

  // user_principal: "sam@REALM" (sAMAccountName from the directory + realm; an enterprise UPN works
  // but keeps that form in the ticket). spn: "HTTP/exchange.example.test" or
  // "HTTP/exchange.example.test@EXAMPLE.TEST". channel_binding: application data from
  // tls_server_end_point() for https upstreams, nullopt for none.
  // Completes once, on `ex`, with void(start_result). Errors: delegation_refused (account disabled,
  // unknown, revoked), delegation_not_allowed (SPN not in msDS-AllowedToDelegateTo, no protocol
  // transition right, service key problems), kdc_unavailable (unreachable, timeout); detail = GSS text.
  template <class CompletionToken>
  auto async_start(std::string user_principal, std::string spn, std::optional<std::string> channel_binding,
                   boost::asio::any_io_executor ex, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(start_result)>(
        [this](auto handler, std::string u, std::string s, std::optional<std::string> cb,
               boost::asio::any_io_executor e) {
          start_impl(std::move(u), std::move(s), std::move(cb), std::move(e),
                     boost::asio::any_completion_handler<void(start_result)>(std::move(handler)));
        },
        token, std::move(user_principal), std::move(spn), std::move(channel_binding), std::move(ex));
  }

  // Drops the cached credential for (user, spn): the relay calls it after an upstream 401 so the
  // retry makes a fresh KDC exchange. A flight in progress for the key is not affected.
  void invalidate(const std::string& user_principal, const std::string& spn);

  delegation_stats stats() const;

 private:
  struct state;
  void start_impl(std::string user, std::string spn, std::optional<std::string> channel_binding,
                  boost::asio::any_io_executor ex, boost::asio::any_completion_handler<void(start_result)> handler);
  std::shared_ptr<state> state_;
};

}  // namespace cba::auth
