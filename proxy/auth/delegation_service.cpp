#include "proxy/auth/delegation_service.hpp"

#include "proxy/auth/credential_cache.hpp"
#include "proxy/auth/initiator.hpp"
#include "proxy/auth/offload.hpp"
#include "proxy/auth/service_credential.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>

namespace cba::auth {

namespace {
using clock = std::chrono::steady_clock;
using cred_ptr = std::shared_ptr<const gss_cred>;
}  // namespace

struct delegation_service::state {
  state(const config::kerberos_config& c, std::size_t threads, std::chrono::milliseconds timeout)
      : cfg(c), kdc_timeout(timeout), pool(std::max<std::size_t>(threads, 1)), cache(c.ticket_cache.max_entries) {
    char id[32];
    std::snprintf(id, sizeof id, "%p", static_cast<const void*>(this));
    instance_id = id;
  }

  const config::kerberos_config cfg;
  const std::chrono::milliseconds kdc_timeout;
  std::string instance_id;  // names this instance's MEMORY: ccaches
  boost::asio::thread_pool pool;
  credential_cache<cred_ptr, delegation_error> cache;

  std::mutex service_mutex;  // held while (re)acquiring: one TGT request at a time
  std::shared_ptr<service_credential> service;
  std::uint64_t service_generation = 0;

  std::atomic<std::uint64_t> kdc_exchanges{0};
  std::atomic<std::uint64_t> cache_hits{0};
  std::atomic<std::uint64_t> cache_misses{0};
  std::atomic<std::uint64_t> failures{0};
  std::atomic<std::uint64_t> service_acquisitions{0};

  // The proxy's TGT, re-acquired when less than refresh_before_expiry is left (pool only).
  boost::system::result<std::shared_ptr<service_credential>, delegation_error> service_credential_now() {
    const std::lock_guard lock(service_mutex);
    if (service && clock::now() + cfg.ticket_cache.refresh_before_expiry < service->expires_at()) return service;
    const std::string name =
        "MEMORY:cba-proxy-" + instance_id + "-" + std::to_string(++service_generation);
    auto fresh = service_credential::acquire(cfg.principal, cfg.keytab, name);
    if (!fresh) return fresh.error();
    ++service_acquisitions;
    service = *fresh;
    return service;
  }

  // The blocking part of one start (pool only).
  start_result run(const std::string& user, const std::string& spn, const std::optional<std::string>& binding) {
    const std::string key = user + '\n' + spn;
    std::optional<negotiate_context> led;
    auto fetch = [&]() -> credential_cache<cred_ptr, delegation_error>::fetch_result {
      auto svc = service_credential_now();
      if (!svc) return svc.error();
      ++kdc_exchanges;
      auto imp = initiator::impersonate((*svc)->get(), user);  // S4U2Self
      if (!imp) return imp.error();
      auto cred = std::make_shared<const gss_cred>(std::move(imp->cred));
      std::chrono::seconds ticket_lifetime{0};
      auto ctx = initiator::first_token(cred->get(), user, spn, binding, false, ticket_lifetime);  // S4U2Proxy
      if (!ctx) return ctx.error();
      led.emplace(std::move(*ctx));
      const auto lifetime = std::min(imp->lifetime, ticket_lifetime);
      return credential_cache<cred_ptr, delegation_error>::fetched{
          cred, clock::now() + lifetime - cfg.ticket_cache.refresh_before_expiry};
    };
    auto got = cache.get(key, fetch, kdc_timeout, timeout_error(user, spn));
    if (got.from == decltype(cache)::source::hit) {
      ++cache_hits;
    } else {
      ++cache_misses;
    }
    if (!got.value) return got.value.error();
    if (led) return std::move(*led);
    std::chrono::seconds ticket_lifetime{0};
    auto ctx = initiator::first_token((*got.value)->get(), user, spn, binding, true, ticket_lifetime);
    if (!ctx) cache.invalidate(key);  // whatever broke the cached credential, the next start re-fetches
    return ctx;
  }

  delegation_error timeout_error(const std::string& user, const std::string& spn) const {
    return make_delegation_error(errc::kdc_unavailable, "no ticket for " + user + " to " + spn + " within " +
                                                            std::to_string(kdc_timeout.count()) +
                                                            " ms (the KDC does not answer)");
  }
};

delegation_service::delegation_service(const config::kerberos_config& cfg, std::size_t threads,
                                       std::chrono::milliseconds kdc_timeout)
    : state_(std::make_shared<state>(cfg, threads, kdc_timeout)) {}

delegation_service::~delegation_service() {
  // Waits for queued and running pool work (KDC calls end by krb5's own timeouts); afterwards no pool
  // job holds the state, so it is released here.
  state_->pool.join();
}

void delegation_service::start_impl(std::string user, std::string spn, std::optional<std::string> channel_binding,
                                    boost::asio::any_io_executor ex,
                                    boost::asio::any_completion_handler<void(start_result)> handler) {
  auto st = state_;
  // Counts failures once per start, whichever path completed it.
  auto counted = [st, h = std::move(handler)](start_result r) mutable {
    if (!r) ++st->failures;
    auto hex = boost::asio::get_associated_executor(h);
    boost::asio::dispatch(hex, boost::asio::append(std::move(h), std::move(r)));
  };
  std::function<start_result()> work = [st, user, spn, binding = std::move(channel_binding)]() {
    return st->run(user, spn, binding);
  };
  std::function<start_result()> on_timeout = [st, user, spn]() -> start_result { return st->timeout_error(user, spn); };
  offload<start_result>(st->pool, ex, st->kdc_timeout, std::move(work), std::move(on_timeout),
                        boost::asio::any_completion_handler<void(start_result)>(
                            boost::asio::bind_executor(ex, std::move(counted))));
}

void delegation_service::invalidate(const std::string& user_principal, const std::string& spn) {
  state_->cache.invalidate(user_principal + '\n' + spn);
}

delegation_stats delegation_service::stats() const {
  delegation_stats s;
  s.kdc_exchanges = state_->kdc_exchanges.load();
  s.cache_hits = state_->cache_hits.load();
  s.cache_misses = state_->cache_misses.load();
  s.failures = state_->failures.load();
  s.service_credential_acquisitions = state_->service_acquisitions.load();
  s.entries = state_->cache.size();
  return s;
}

}  // namespace cba::auth
