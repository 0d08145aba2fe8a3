#pragma once
// The relay's negotiate_provider for one request on an auth: kerberos route, backed by the Kerberos
// delegation service: S4U2Self + S4U2Proxy for the account to the route's service_principal, a new
// SPNEGO context per upstream connection, tls-server-end-point channel bindings for https upstreams
// (kerberos.channel_binding), and the upstream's mutual-authentication token checked.

#include "config/config.hpp"
#include "proxy/auth/negotiate_context.hpp"
#include "proxy/request_relay.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <optional>
#include <string>

namespace cba {
namespace auth { class delegation_service; }

class delegated_negotiator final : public negotiate_provider {
 public:
  // `principal`: sAMAccountName@REALM; `ex`: the session's executor (completions come back there).
  delegated_negotiator(auth::delegation_service& service, std::string principal, std::string spn,
                       config::channel_binding_mode mode, boost::asio::any_io_executor ex);

  boost::asio::awaitable<negotiate_step> start(SSL* upstream_tls) override;
  negotiate_step finish(std::string_view reply_token_base64) override;
  void invalidate() override;
  const std::string& principal() const override { return principal_; }

  // Whether the last start() was served from the ticket cache (no KDC exchange).
  bool last_from_cache() const noexcept { return last_from_cache_; }
  // Whether the last start() put tls-server-end-point bindings into the token.
  bool last_channel_bound() const noexcept { return last_channel_bound_; }

 private:
  auth::delegation_service& service_;
  std::string principal_;
  std::string spn_;
  config::channel_binding_mode mode_;
  boost::asio::any_io_executor ex_;
  std::optional<auth::negotiate_context> context_;
  bool last_from_cache_ = false;
  bool last_channel_bound_ = false;
};

// "alice@EXAMPLE.TEST": the account's sAMAccountName with the realm of kerberos.principal (svc-cba@EXAMPLE.TEST).
std::string delegated_principal(const std::string& sam_account_name, const std::string& kerberos_principal);

// Prometheus text of the delegation counters (cba_kerberos_*); "" without a delegation service.
std::string render_delegation_metrics(const auth::delegation_service* service);

}  // namespace cba
