// proxy/auth without a KDC: the credential cache, the pool offload, channel bindings, error mapping.
#include "proxy/auth/channel_binding.hpp"
#include "proxy/auth/credential_cache.hpp"
#include "proxy/auth/initiator.hpp"
#include "proxy/auth/kdc_error.hpp"
#include "proxy/auth/offload.hpp"
#include "proxy/tls/ossl.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <catch2/catch.hpp>

#include <krb5/krb5.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using cba::errc;
using namespace std::chrono_literals;
using cache_type = cba::auth::credential_cache<int, std::string>;
using source = cache_type::source;

cache_type::fetch_result value(int v, std::chrono::steady_clock::duration fresh_for = 1h) {
  return cache_type::fetched{v, std::chrono::steady_clock::now() + fresh_for};
}

}  // namespace

TEST_CASE("credential_cache: hit after a led miss - failures and stale values are not kept", "[auth][cache]") {
  cache_type cache(10);
  int fetches = 0;
  auto fetch = [&] { return value(++fetches); };
  auto a = cache.get("k", fetch, 1s, "timeout");
  CHECK(a.from == source::led);
  CHECK(*a.value == 1);
  auto b = cache.get("k", fetch, 1s, "timeout");
  CHECK(b.from == source::hit);
  CHECK(*b.value == 1);
  CHECK(fetches == 1);

  auto f = cache.get("bad", [&]() -> cache_type::fetch_result { ++fetches; return std::string("refused"); }, 1s, "t");
  REQUIRE_FALSE(f.value.has_value());
  CHECK(f.value.error() == "refused");
  cache.get("bad", [&]() -> cache_type::fetch_result { ++fetches; return std::string("refused"); }, 1s, "t");
  CHECK(fetches == 3);  // the failure was not cached

  cache.get("stale", [&] { ++fetches; return value(7, -1s); }, 1s, "t");
  auto s = cache.get("stale", [&] { ++fetches; return value(8); }, 1s, "t");
  CHECK(s.from == source::led);
  CHECK(*s.value == 8);
  CHECK(cache.size() == 2);  // k and the second stale fetch
}

TEST_CASE("credential_cache: invalidate and LRU eviction", "[auth][cache]") {
  cache_type cache(2);
  int fetches = 0;
  auto fetch = [&] { return value(++fetches); };
  cache.get("a", fetch, 1s, "t");
  cache.get("b", fetch, 1s, "t");
  cache.get("a", fetch, 1s, "t");  // a is now the most recently used
  cache.get("c", fetch, 1s, "t");  // evicts b
  CHECK(cache.size() == 2);
  CHECK(cache.get("a", fetch, 1s, "t").from == source::hit);
  CHECK(cache.get("c", fetch, 1s, "t").from == source::hit);
  CHECK(cache.get("b", fetch, 1s, "t").from == source::led);
  CHECK(fetches == 4);

  cache.invalidate("b");
  CHECK(cache.get("b", fetch, 1s, "t").from == source::led);
  CHECK(fetches == 5);

  cache_type none(0);
  none.get("x", fetch, 1s, "t");
  CHECK(none.get("x", fetch, 1s, "t").from == source::led);
  CHECK(none.size() == 0);
}

TEST_CASE("credential_cache: concurrent misses for one key make one fetch - joiners share its result", "[auth][cache]") {
  for (const bool succeed : {true, false}) {
    cache_type cache(10);
    std::atomic<int> fetches{0};
    std::atomic<int> entered{0};
    constexpr int callers = 8;
    std::vector<cache_type::outcome> results(callers, cache_type::outcome{std::string("unset"), source::hit});
    std::vector<std::thread> threads;
    for (int i = 0; i < callers; ++i) {
      threads.emplace_back([&, i] {
        ++entered;
        results[static_cast<std::size_t>(i)] = cache.get(
            "k",
            [&]() -> cache_type::fetch_result {
              ++fetches;
              // Hold the flight open until every caller has arrived, so the others find it in flight.
              while (entered.load() < callers) std::this_thread::yield();
              std::this_thread::sleep_for(50ms);
              if (succeed) return value(42);
              return std::string("KDC policy rejects request");
            },
            10s, "timeout");
      });
    }
    for (auto& t : threads) t.join();
    CHECK(fetches.load() == 1);
    int led = 0;
    for (const auto& r : results) {
      led += r.from == source::led ? 1 : 0;
      if (succeed) {
        REQUIRE(r.value.has_value());
        CHECK(*r.value == 42);
      } else {
        REQUIRE_FALSE(r.value.has_value());
        CHECK(r.value.error() == "KDC policy rejects request");
      }
    }
    CHECK(led == 1);
  }
}

TEST_CASE("credential_cache: a joiner stops waiting at its limit", "[auth][cache]") {
  cache_type cache(10);
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  bool in_fetch = false;
  std::thread leader([&] {
    cache.get("k",
              [&] {
                std::unique_lock lock(m);
                in_fetch = true;
                cv.notify_all();
                cv.wait(lock, [&] { return release; });
                return value(1);
              },
              10s, "timeout");
  });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return in_fetch; });
  }
  auto joined = cache.get("k", [] { return value(2); }, 20ms, "timeout");
  CHECK(joined.from == source::joined);
  REQUIRE_FALSE(joined.value.has_value());
  CHECK(joined.value.error() == "timeout");
  {
    const std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  leader.join();
  CHECK(cache.get("k", [] { return value(3); }, 1s, "t").from == source::hit);
}

namespace {

struct offload_run {
  std::optional<int> result;
  std::thread::id completed_on;
  std::thread::id worked_on;
  bool initiation_returned = false;
  bool completed_inline = false;
};

}  // namespace

TEST_CASE("offload: work on the pool - completion on the caller's executor - never inline", "[auth][offload]") {
  boost::asio::thread_pool pool(2);
  boost::asio::io_context io;
  offload_run run;
  cba::auth::offload<int>(
      pool, io.get_executor(), 10s, [&] { run.worked_on = std::this_thread::get_id(); return 7; }, [] { return -1; },
      [&](int v) {
        run.completed_inline = !run.initiation_returned;
        run.result = v;
        run.completed_on = std::this_thread::get_id();
      });
  run.initiation_returned = true;
  io.run();
  pool.join();
  REQUIRE(run.result.has_value());
  CHECK(*run.result == 7);
  CHECK(run.completed_on == std::this_thread::get_id());
  CHECK(run.worked_on != std::this_thread::get_id());
  CHECK_FALSE(run.completed_inline);
}

TEST_CASE("offload: the deadline completes first - the late result is dropped - queued work skipped", "[auth][offload]") {
  boost::asio::thread_pool pool(1);
  std::atomic<bool> late_done{false};
  std::atomic<bool> skipped_ran{false};
  std::vector<int> results;
  {
    boost::asio::io_context io;
    cba::auth::offload<int>(
        pool, io.get_executor(), 30ms,
        [&] {
          std::this_thread::sleep_for(300ms);
          late_done = true;
          return 1;
        },
        [] { return -1; }, [&](int v) { results.push_back(v); });
    // Queued behind the slow one on the single thread; its deadline passes before it could start.
    cba::auth::offload<int>(
        pool, io.get_executor(), 30ms, [&] { skipped_ran = true; return 2; }, [] { return -2; },
        [&](int v) { results.push_back(v); });
    io.run();  // returns after both deadlines; the io_context is gone before the pool work ends
  }
  pool.join();
  CHECK(late_done.load());
  CHECK_FALSE(skipped_ran.load());
  REQUIRE(results.size() == 2);
  CHECK(results[0] == -1);
  CHECK(results[1] == -2);
}

namespace {

cba::tls::x509_ptr self_signed(const EVP_MD* md, bool ed25519 = false) {
  cba::tls::evp_pkey_ptr key(ed25519 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                                     : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  REQUIRE(key);
  cba::tls::x509_ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("cb"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  REQUIRE(X509_sign(cert.get(), key.get(), md) > 0);
  return cert;
}

std::string expected_binding(X509* cert, const EVP_MD* md) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  REQUIRE(len > 0);
  std::string hash(static_cast<std::size_t>(EVP_MD_get_size(md)), '\0');
  unsigned int out = 0;
  EVP_Digest(der, static_cast<std::size_t>(len), reinterpret_cast<unsigned char*>(hash.data()), &out, md, nullptr);
  OPENSSL_free(der);
  return "tls-server-end-point:" + hash;
}

}  // namespace

TEST_CASE("tls_server_end_point: the signature's hash - SHA-256 for SHA-1 (RFC 5929 4.1)", "[auth][binding]") {
  struct row {
    const EVP_MD* sign;
    const EVP_MD* expect;
  };
  for (const auto& r : {row{EVP_sha256(), EVP_sha256()}, row{EVP_sha384(), EVP_sha384()},
                        row{EVP_sha512(), EVP_sha512()}, row{EVP_sha1(), EVP_sha256()}}) {
    const auto cert = self_signed(r.sign);
    const auto b = cba::auth::tls_server_end_point(cert.get());
    REQUIRE(b.has_value());
    CHECK(*b == expected_binding(cert.get(), r.expect));
    CHECK(b->size() == 21 + static_cast<std::size_t>(EVP_MD_get_size(r.expect)));
  }
  CHECK(cba::auth::tls_server_end_point(nullptr).error() == errc::channel_binding_unavailable);
  const auto ed = self_signed(nullptr, true);
  CHECK(cba::auth::tls_server_end_point(ed.get()).error() == errc::channel_binding_unavailable);
}

TEST_CASE("KDC answers map to delegation reasons", "[auth][errors]") {
  // krb5 registers its error texts when the library initialises, which a real GSS failure implies.
  krb5_context k = nullptr;
  REQUIRE(krb5_init_context(&k) == 0);
  krb5_free_context(k);
  auto code = [](krb5_error_code c) {
    return cba::auth::classify_gss_failure("step", GSS_S_FAILURE, static_cast<OM_uint32>(c), errc::kdc_unavailable).code;
  };
  CHECK(code(KRB5KDC_ERR_POLICY) == errc::delegation_refused);
  CHECK(code(KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN) == errc::delegation_refused);
  CHECK(code(KRB5KDC_ERR_CLIENT_REVOKED) == errc::delegation_refused);
  CHECK(code(KRB5KDC_ERR_BADOPTION) == errc::delegation_not_allowed);
  CHECK(code(KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN) == errc::delegation_not_allowed);
  CHECK(code(KRB5_KDC_UNREACH) == errc::kdc_unavailable);
  const auto e = cba::auth::classify_gss_failure("S4U2Self for bob@EXAMPLE.TEST", GSS_S_FAILURE,
                                                 static_cast<OM_uint32>(KRB5KDC_ERR_POLICY), errc::kdc_unavailable);
  INFO(e.detail);
  CHECK(e.detail.find("S4U2Self for bob@EXAMPLE.TEST") == 0);
  CHECK(e.detail.find("KDC policy rejects request") != std::string::npos);
}

TEST_CASE("service_principal forms", "[auth][spn]") {
  using cba::auth::initiator;
  CHECK(initiator::target_name("HTTP/exchange.example.test").has_value());
  CHECK(initiator::target_name("HTTP/exchange.example.test@EXAMPLE.TEST").has_value());
  for (const char* bad : {"HTTP", "/exchange.example.test", "HTTP/", ""}) {
    INFO(bad);
    const auto r = initiator::target_name(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::delegation_not_allowed);
  }
}
