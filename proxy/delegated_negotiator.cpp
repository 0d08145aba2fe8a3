#include "proxy/delegated_negotiator.hpp"

#include "proxy/auth/channel_binding.hpp"
#include "proxy/auth/delegation_service.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <openssl/ssl.h>

namespace cba {

namespace {

constexpr std::string_view negotiate_prefix = "Negotiate ";

negotiate_step failed(const auth::delegation_error& e) {
  negotiate_step step;
  step.reason = e.code.category() == proxy_category() ? static_cast<errc>(e.code.value()) : errc::kdc_unavailable;
  step.detail = e.detail;
  return step;
}

}  // namespace

delegated_negotiator::delegated_negotiator(auth::delegation_service& service, std::string principal,
                                           std::string spn, config::channel_binding_mode mode,
                                           boost::asio::any_io_executor ex)
    : service_(service), principal_(std::move(principal)), spn_(std::move(spn)), mode_(mode), ex_(std::move(ex)) {}

boost::asio::awaitable<negotiate_step> delegated_negotiator::start(SSL* upstream_tls) {
  context_.reset();
  std::optional<std::string> binding;
  if (mode_ != config::channel_binding_mode::off) {
    X509* cert = upstream_tls != nullptr ? SSL_get0_peer_certificate(upstream_tls) : nullptr;
    if (cert != nullptr) {
      auto computed = auth::tls_server_end_point(cert);
      if (computed) {
        binding = std::move(*computed);
      } else if (mode_ == config::channel_binding_mode::required) {
        co_return negotiate_step{errc::channel_binding_unavailable,
                                 "kerberos.channel_binding: required, but the upstream certificate gives no "
                                 "tls-server-end-point binding: " + computed.error().message(), {}};
      }
    } else if (mode_ == config::channel_binding_mode::required) {
      co_return negotiate_step{errc::channel_binding_unavailable,
                               "kerberos.channel_binding: required, but the upstream is not https:// (no TLS "
                               "channel to bind the Kerberos token to); nothing was sent", {}};
    }
  }
  auto started = co_await service_.async_start(principal_, spn_, std::move(binding), ex_, boost::asio::use_awaitable);
  if (!started) co_return failed(started.error());
  context_.emplace(std::move(*started));
  last_from_cache_ = context_->from_cache();
  last_channel_bound_ = context_->channel_bound();
  negotiate_step step;
  const auto& header = context_->authorization();
  step.token_base64 = header.size() > negotiate_prefix.size() ? header.substr(negotiate_prefix.size()) : header;
  co_return step;
}

negotiate_step delegated_negotiator::finish(std::string_view reply_token_base64) {
  if (!context_) return {};
  const auto verified = context_->verify_reply(std::string(negotiate_prefix) + std::string(reply_token_base64));
  context_.reset();  // one context per connection; the connection is authenticated now (or dropped)
  if (verified.code) return failed(verified);
  return {};
}

void delegated_negotiator::invalidate() {
  context_.reset();
  service_.invalidate(principal_, spn_);
}

std::string delegated_principal(const std::string& sam_account_name, const std::string& kerberos_principal) {
  const auto at = kerberos_principal.rfind('@');
  return sam_account_name + "@" + (at == std::string::npos ? std::string() : kerberos_principal.substr(at + 1));
}

std::string render_delegation_metrics(const auth::delegation_service* service) {
  if (service == nullptr) return {};
  const auto st = service->stats();
  std::string out;
  const auto counter = [&out](const char* name, const char* help, std::uint64_t value, const char* type) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
           std::to_string(value) + "\n";
  };
  counter("cba_kerberos_kdc_exchanges_total", "S4U2Self+S4U2Proxy exchanges with the KDC.", st.kdc_exchanges, "counter");
  counter("cba_kerberos_ticket_cache_hits_total", "Delegations served from the ticket cache.", st.cache_hits, "counter");
  counter("cba_kerberos_ticket_cache_misses_total", "Delegations that found no cached ticket.", st.cache_misses,
          "counter");
  counter("cba_kerberos_delegation_failures_total", "Delegations that failed (refused, not allowed, KDC down).",
          st.failures, "counter");
  counter("cba_kerberos_service_credential_acquisitions_total", "The proxy's own TGT acquisitions (first and renewals).",
          st.service_credential_acquisitions, "counter");
  counter("cba_kerberos_ticket_cache_entries", "Delegated credentials cached now.", st.entries, "gauge");
  return out;
}

}  // namespace cba
