#include "proxy/revocation/checker.hpp"

#include "proxy/revocation/crl.hpp"
#include "proxy/revocation/crl_file_set.hpp"
#include "proxy/revocation/http_fetch.hpp"
#include "proxy/revocation/ocsp_query.hpp"
#include "proxy/revocation/single_flight.hpp"
#include "proxy/tls/pem.hpp"
#include "proxy/tls/x509_facts.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace cba::revocation {
namespace {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;
constexpr std::size_t max_ocsp_response_bytes = 1024 * 1024;
constexpr std::size_t max_ocsp_cache_entries = 100000;

std::time_t wall_now() { return std::time(nullptr); }

// Every http:// URI of the certificate's CRL distribution points (full names only), in order.
std::vector<std::string> distribution_points(X509* cert) {
  std::vector<std::string> urls;
  int critical = -1;
  const dist_points_ptr points{
      static_cast<CRL_DIST_POINTS*>(X509_get_ext_d2i(cert, NID_crl_distribution_points, &critical, nullptr))};
  for (int i = 0; points && i < sk_DIST_POINT_num(points.get()); ++i) {
    const DIST_POINT* point = sk_DIST_POINT_value(points.get(), i);
    if (point->distpoint == nullptr || point->distpoint->type != 0) continue;
    const GENERAL_NAMES* names = point->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, j);
      if (name->type != GEN_URI) continue;
      const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
      std::string url(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                      static_cast<std::size_t>(ASN1_STRING_length(uri)));
      if (parse_http_url(url)) urls.push_back(std::move(url));
    }
  }
  return urls;
}

std::string quoted(X509* cert) { return "\"" + tls::subject_string(cert) + "\""; }

std::string describe_answers(const certificate_status& cs) {
  std::string out;
  for (const auto& a : cs.answers) {
    if (!out.empty()) out += "; ";
    out += a.source + ": " + std::string(status_name(a.status));
    if (!a.detail.empty()) out += " (" + a.detail + ")";
  }
  return out;
}

}  // namespace

struct checker::impl {
  struct cdp_entry {
    std::shared_ptr<const verified_crl> crl;  // the last good download
    steady::time_point fresh_until{};         // re-fetch on use after this
    steady::time_point retry_at{};            // no new attempt before this (after a failure)
    std::string last_error;                   // empty while downloads succeed
  };
  struct ocsp_entry {
    source_answer answer;
    std::time_t this_update = 0;  // 0: a failure, not a signed answer
    steady::time_point expires{};
  };

  impl(config::revocation_config c, checker_options o) : cfg(std::move(c)), options(std::move(o)) {}

  void log(config::log_level level, std::string_view event, std::string_view detail) const {
    if (options.log) options.log(level, event, detail);
  }

  std::vector<X509*> ca_pointers() const {
    std::vector<X509*> out;
    for (const auto& ca : cas) out.push_back(ca.get());
    return out;
  }

  // Worker or start-up only.
  void load_files() {
    if (cfg.crl_files.empty()) return;
    std::vector<std::string> problems;
    files = crl_file_set::load(cfg.crl_files, ca_pointers(), wall_now(), problems);
    crl_file_count.store(files->size(), std::memory_order_relaxed);
    for (const auto& p : problems) log(config::log_level::warn, "revocation_crl_file_problem", p);
  }

  asio::awaitable<void> refresh_loop() {
    asio::steady_timer timer(worker);
    for (;;) {
      timer.expires_after(cfg.refresh);
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      load_files();
    }
  }

  void reload_now() {
    load_files();
    const auto now = steady::now();
    for (auto& [url, entry] : cdp) {
      entry.fresh_until = now;
      entry.retry_at = now;
    }
    ocsp.clear();
    reloads.fetch_add(1, std::memory_order_relaxed);
    log(config::log_level::info, "revocation_reloaded",
        std::to_string(files ? files->size() : 0) + " CRL file entries; cached answers forgotten");
  }

  asio::awaitable<void> fetch_crl(std::string url, tls::x509_ptr issuer) {
    crl_fetches.fetch_add(1, std::memory_order_relaxed);
    // A named request: GCC 12 mishandles a braced temporary passed to a coroutine (double destruction).
    http_request request;
    request.url = url;
    request.timeout = cfg.fetch_timeout;
    request.max_body_bytes = static_cast<std::size_t>(cfg.max_crl_bytes);
    auto response = co_await http_fetch(std::move(request));
    auto& entry = cdp[url];
    const auto now = steady::now();
    std::string error = response.error;
    std::shared_ptr<const verified_crl> crl;
    if (response.ok()) {
      auto parsed = tls::parse_crl(response.body);
      if (!parsed) {
        error = parsed.error;
      } else {
        crl = verified_crl::make(std::move(parsed.value), issuer.get(), "crl " + url, error);
      }
    }
    if (!crl) {
      crl_fetch_failures.fetch_add(1, std::memory_order_relaxed);
      entry.last_error = "downloading the CRL: " + error;
      entry.retry_at = now + options.failure_backoff;
      log(config::log_level::warn, "revocation_crl_fetch_failed", url + ": " + error);
      co_return;
    }
    entry.crl = crl;
    entry.last_error.clear();
    entry.retry_at = now;
    entry.fresh_until = now + cfg.refresh;
    const std::time_t wall = wall_now();
    if (auto next = crl->next_update()) {
      entry.fresh_until = std::min(entry.fresh_until, now + std::chrono::seconds(std::max<std::time_t>(*next - wall, 0)));
    }
    if (!crl->fresh(wall)) {
      entry.last_error = "the CRL served is past its nextUpdate";
      entry.retry_at = now + options.failure_backoff;
      log(config::log_level::warn, "revocation_crl_fetch_failed", url + ": the CRL served is past its nextUpdate");
    }
  }

  asio::awaitable<source_answer> cdp_answer_for(const std::string& url, X509* cert, X509* issuer) {
    const auto now = steady::now();
    auto it = cdp.find(url);
    if (it == cdp.end() || (now >= it->second.fresh_until && now >= it->second.retry_at)) {
      const bool ran = co_await cdp_flights.run(url, [&] { return fetch_crl(url, tls::up_ref(issuer)); });
      if (!ran) coalesced.fetch_add(1, std::memory_order_relaxed);
      it = cdp.find(url);
    }
    source_answer a;
    a.source = "crl " + url;
    if (it == cdp.end() || !it->second.crl) {
      a.detail = it == cdp.end() ? "no CRL downloaded" : it->second.last_error;
      co_return a;
    }
    const auto& entry = it->second;
    if (!entry.crl->covers(issuer)) {
      a.detail = "the CRL at this URL is not signed by " + quoted(issuer);
      co_return a;
    }
    const long grace = entry.last_error.empty()
                           ? 0
                           : static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(cfg.stale_if_error).count());
    a = entry.crl->answer(cert, wall_now(), grace);
    if (a.status == revocation_status::unknown && !entry.last_error.empty()) a.detail += "; " + entry.last_error;
    co_return a;
  }

  asio::awaitable<source_answer> cdp_answer(X509* cert, X509* issuer) {
    const auto urls = distribution_points(cert);
    source_answer last;
    last.source = "crl";
    last.detail = "the certificate has no http:// CRL distribution point";
    for (const auto& url : urls) {
      auto a = co_await cdp_answer_for(url, cert, issuer);
      if (a.status != revocation_status::unknown) co_return a;
      last = std::move(a);
    }
    co_return last;
  }

  asio::awaitable<void> query_ocsp(std::string key, std::string url, ocsp_query query, std::vector<X509*> untrusted) {
    ocsp_requests.fetch_add(1, std::memory_order_relaxed);
    http_request request;
    request.url = url;
    request.content_type = "application/ocsp-request";
    request.body = query.der;
    request.timeout = cfg.ocsp.timeout;
    request.max_body_bytes = max_ocsp_response_bytes;
    auto response = co_await http_fetch(std::move(request));
    ocsp_entry entry;
    const auto now = steady::now();
    if (!response.ok()) {
      entry.answer.detail = response.error;
    } else {
      auto judged = judge_ocsp_response(response.body, query, store.get(), untrusted, cfg.ocsp.nonce, wall_now());
      entry.answer = std::move(judged.answer);
      entry.this_update = judged.this_update;
      if (judged.this_update != 0) {
        entry.expires = now + cfg.ocsp.cache_ttl;
        if (judged.next_update) {
          const auto left = std::max<std::time_t>(*judged.next_update - wall_now(), 0);
          entry.expires = std::min(entry.expires, now + std::chrono::seconds(left));
        }
      }
    }
    entry.answer.source = "ocsp " + url;
    if (entry.this_update == 0) {
      ocsp_failures.fetch_add(1, std::memory_order_relaxed);
      entry.expires = now + options.failure_backoff;
      log(config::log_level::warn, "revocation_ocsp_failed", url + ": " + entry.answer.detail);
    }
    if (ocsp.size() >= max_ocsp_cache_entries) {
      std::erase_if(ocsp, [now](const auto& item) { return item.second.expires <= now; });
      if (ocsp.size() >= max_ocsp_cache_entries) ocsp.clear();
    }
    ocsp[key] = std::move(entry);
  }

  asio::awaitable<source_answer> ocsp_answer(X509* cert, X509* issuer, const std::vector<X509*>& untrusted) {
    const std::string url = cfg.ocsp.responder.empty() ? ocsp_responder_of(cert) : cfg.ocsp.responder;
    source_answer a;
    a.source = "ocsp";
    if (url.empty()) {
      a.detail = "the certificate names no http:// OCSP responder (and ocsp.responder is not set)";
      co_return a;
    }
    a.source += " " + url;
    std::string error;
    auto query = make_ocsp_query(cert, issuer, cfg.ocsp.nonce, error);
    if (!query) {
      a.detail = error;
      co_return a;
    }
    const std::string key = url + " " + query->cache_key;
    auto it = ocsp.find(key);
    if (it == ocsp.end() || steady::now() >= it->second.expires) {
      const bool ran = co_await ocsp_flights.run(
          key, [&] { return query_ocsp(key, url, std::move(*query), untrusted); });
      if (!ran) coalesced.fetch_add(1, std::memory_order_relaxed);
      it = ocsp.find(key);
    }
    if (it == ocsp.end()) {
      a.detail = "no OCSP answer";
      co_return a;
    }
    a = it->second.answer;
    if (it->second.this_update != 0) {
      const auto now = wall_now();
      a.age = std::chrono::seconds(now > it->second.this_update ? now - it->second.this_update : 0);
    }
    co_return a;
  }

  asio::awaitable<certificate_status> check_certificate(X509* cert, X509* issuer, const std::vector<X509*>& untrusted) {
    certificate_status cs;
    cs.subject = tls::subject_string(cert);
    if (!cfg.crl_files.empty()) {
      cs.answers.push_back(files ? files->answer(cert, issuer, wall_now()) : source_answer{});
    }
    if (cfg.fetch_distribution_points) {
      auto a = co_await cdp_answer(cert, issuer);
      cs.answers.push_back(std::move(a));
    }
    if (cfg.ocsp.enabled) {
      auto a = co_await ocsp_answer(cert, issuer, untrusted);
      cs.answers.push_back(std::move(a));
    }
    const auto has = [&cs](revocation_status s) {
      return std::any_of(cs.answers.begin(), cs.answers.end(), [s](const source_answer& a) { return a.status == s; });
    };
    cs.status = has(revocation_status::revoked) ? revocation_status::revoked
                : has(revocation_status::good)  ? revocation_status::good
                                                : revocation_status::unknown;
    co_return cs;
  }

  asio::awaitable<revocation_verdict> evaluate(chain verified) {
    revocation_verdict v;
    std::vector<X509*> untrusted;
    for (const auto& c : verified) untrusted.push_back(c.get());
    for (const auto& ca : cas) untrusted.push_back(ca.get());
    const std::size_t n = verified.size();
    const std::size_t checked = n < 2 ? 0 : (cfg.check == config::revocation_check::leaf ? 1 : n - 1);
    for (std::size_t i = 0; i < checked; ++i) {
      auto cs = co_await check_certificate(verified[i].get(), verified[i + 1].get(), untrusted);
      v.certificates.push_back(std::move(cs));
    }
    decide(v);
    co_return v;
  }

  void decide(revocation_verdict& v) {
    v.status = revocation_status::good;
    const certificate_status* deciding = nullptr;
    for (const auto& cs : v.certificates) {
      if (cs.status == revocation_status::revoked) {
        v.status = revocation_status::revoked;
        deciding = &cs;
        break;
      }
      if (cs.status == revocation_status::unknown && v.status == revocation_status::good) {
        v.status = revocation_status::unknown;
        deciding = &cs;
      }
    }
    if (v.status == revocation_status::good) {
      for (const auto& cs : v.certificates) {
        for (const auto& a : cs.answers) {
          if (a.status != revocation_status::good) continue;
          if (v.source.empty()) v.source = a.source;
          v.age = std::max(v.age, a.age);
          break;
        }
      }
      v.reason = errc::ok;
      good.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    for (const auto& a : deciding->answers) {
      if (a.status != v.status) continue;
      v.source = a.source;
      v.age = a.age;
      break;
    }
    const bool leaf = deciding == &v.certificates.front();
    const std::string who = std::string(leaf ? "client certificate" : "CA certificate") + " \"" + deciding->subject + "\"";
    if (v.status == revocation_status::revoked) {
      std::string how;
      for (const auto& a : deciding->answers) {
        if (a.status == revocation_status::revoked) {
          how = a.detail;
          break;
        }
      }
      v.detail = who + " is " + how + " according to " + v.source;
      v.reason = errc::revoked;
      revoked.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    v.detail = who + ": revocation status unknown: " + describe_answers(*deciding);
    if (mode == config::revocation_mode::soft) {
      v.reason = errc::ok;
      unknown_admitted.fetch_add(1, std::memory_order_relaxed);
    } else {
      v.reason = errc::revocation_unknown;
      unknown_refused.fetch_add(1, std::memory_order_relaxed);
    }
  }

  config::revocation_config cfg;
  config::revocation_mode mode = config::revocation_mode::off;
  checker_options options;
  tls::x509_store_ptr store;       // trust anchors: OCSP signer chains end here
  std::vector<tls::x509_ptr> cas;  // roots, intermediates, ntauth: CRL file issuers, chain building

  asio::io_context worker{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;

  // Worker-only state.
  std::shared_ptr<const crl_file_set> files;
  std::unordered_map<std::string, cdp_entry> cdp;
  std::unordered_map<std::string, ocsp_entry> ocsp;
  single_flight cdp_flights;
  single_flight ocsp_flights;

  std::atomic<std::uint64_t> good{0}, revoked{0}, unknown_refused{0}, unknown_admitted{0};
  std::atomic<std::uint64_t> crl_fetches{0}, crl_fetch_failures{0}, ocsp_requests{0}, ocsp_failures{0};
  std::atomic<std::uint64_t> coalesced{0}, crl_file_count{0}, reloads{0};
};

checker::checker() = default;

checker::~checker() {
  if (!impl_) return;
  impl_->work.reset();
  impl_->worker.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::unique_ptr<checker> checker::create(const config::trust_config& trust, checker_options options) {
  std::unique_ptr<checker> c{new checker()};
  c->impl_ = std::make_unique<impl>(trust.revocation, std::move(options));
  auto& s = *c->impl_;
  const auto& r = trust.revocation;
  const bool any_source = !r.crl_files.empty() || r.fetch_distribution_points || r.ocsp.enabled;
  s.mode = r.mode.value_or(any_source ? config::revocation_mode::hard : config::revocation_mode::off);
  if (s.mode == config::revocation_mode::off) return c;

  s.store.reset(X509_STORE_new());
  if (!s.store) throw std::runtime_error("trust.revocation: " + tls::openssl_error_string());
  const auto read = [&s](const std::string& key, const std::string& path, bool anchors) {
    if (path.empty()) return;
    auto certs = tls::read_certificates(path);
    if (!certs) throw std::runtime_error(key + " (" + path + "): " + certs.error);
    for (auto& cert : certs.value) {
      if (anchors) X509_STORE_add_cert(s.store.get(), cert.get());
      s.cas.push_back(std::move(cert));
    }
  };
  read("trust.roots", trust.roots, true);
  read("trust.intermediates", trust.intermediates, false);
  read("trust.ntauth", trust.ntauth, false);

  s.load_files();
  s.work.emplace(s.worker.get_executor());
  if (!r.crl_files.empty()) asio::co_spawn(s.worker, s.refresh_loop(), asio::detached);
  s.thread = std::thread([&s] { s.worker.run(); });
  return c;
}

config::revocation_mode checker::mode() const noexcept { return impl_->mode; }

checker::chain checker::copy_chain(STACK_OF(X509)* verified_chain) {
  chain out;
  for (int i = 0; verified_chain != nullptr && i < sk_X509_num(verified_chain); ++i)
    out.push_back(tls::up_ref(sk_X509_value(verified_chain, i)));
  return out;
}

asio::awaitable<revocation_verdict> checker::check(chain verified_chain) {
  if (!enabled()) co_return revocation_verdict{};
  auto verdict = co_await asio::co_spawn(impl_->worker, impl_->evaluate(std::move(verified_chain)), asio::use_awaitable);
  co_return verdict;
}

void checker::request_reload() {
  if (!enabled()) return;
  auto& s = *impl_;
  asio::post(s.worker, [&s] { s.reload_now(); });
}

revocation_verdict checker::check_blocking(chain verified_chain) {
  if (!enabled()) return {};
  return asio::co_spawn(impl_->worker, impl_->evaluate(std::move(verified_chain)), asio::use_future).get();
}

void checker::reload() {
  if (!enabled()) return;
  auto& s = *impl_;
  asio::co_spawn(
      s.worker, [&s]() -> asio::awaitable<void> {
        s.reload_now();
        co_return;
      },
      asio::use_future)
      .get();
}

checker_stats checker::stats() const {
  const auto& s = *impl_;
  const auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return {get(s.good),          get(s.revoked),       get(s.unknown_refused), get(s.unknown_admitted),
          get(s.crl_fetches),   get(s.crl_fetch_failures), get(s.ocsp_requests), get(s.ocsp_failures),
          get(s.coalesced),     get(s.crl_file_count), get(s.reloads)};
}

std::string checker::render_prometheus() const {
  if (!enabled()) return {};
  const auto st = stats();
  std::string out;
  out += "# HELP cba_revocation_checks_total Revocation checks of client chains by outcome\n"
         "# TYPE cba_revocation_checks_total counter\n";
  out += "cba_revocation_checks_total{outcome=\"good\"} " + std::to_string(st.good) + "\n";
  out += "cba_revocation_checks_total{outcome=\"revoked\"} " + std::to_string(st.revoked) + "\n";
  out += "cba_revocation_checks_total{outcome=\"unknown_refused\"} " + std::to_string(st.unknown_refused) + "\n";
  out += "cba_revocation_checks_total{outcome=\"unknown_admitted\"} " + std::to_string(st.unknown_admitted) + "\n";
  const auto line = [&out](const char* name, const char* type, const char* help, std::uint64_t value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
           std::to_string(value) + "\n";
  };
  line("cba_revocation_crl_fetches_total", "counter", "CRL distribution point downloads attempted", st.crl_fetches);
  line("cba_revocation_crl_fetch_failures_total", "counter", "CRL downloads that failed or did not verify",
       st.crl_fetch_failures);
  line("cba_revocation_ocsp_requests_total", "counter", "OCSP requests sent", st.ocsp_requests);
  line("cba_revocation_ocsp_failures_total", "counter", "OCSP requests without a valid signed answer",
       st.ocsp_failures);
  line("cba_revocation_coalesced_total", "counter", "checks that joined a download or OCSP request in flight",
       st.coalesced);
  line("cba_revocation_crl_files", "gauge", "CRLs loaded from trust.revocation.crl_files", st.crl_files);
  line("cba_revocation_reloads_total", "counter", "reloads (SIGHUP) of revocation data", st.reloads);
  return out;
}

}  // namespace cba::revocation
