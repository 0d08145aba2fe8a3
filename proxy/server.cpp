#include "proxy/server.hpp"

#include "proxy/admin/admin_server.hpp"
#include "proxy/client_stream.hpp"
#include "proxy/admin/metrics.hpp"
#include "proxy/connection_tracker.hpp"
#include "proxy/auth/delegation_service.hpp"
#include "proxy/delegated_negotiator.hpp"
#include "proxy/event_log.hpp"
#include "proxy/http/header_policy.hpp"
#include "proxy/http/route_table.hpp"
#include "proxy/services.hpp"
#include "proxy/revocation/checker.hpp"
#include "proxy/session.hpp"
#include "proxy/tls/certificate_policy.hpp"
#include "proxy/tls/client_context.hpp"
#include "proxy/tls/resumption_policy.hpp"
#include "proxy/tls/server_context.hpp"
#include "proxy/tls/session_ticket_keys.hpp"
#include "proxy/upstream/pool.hpp"
#include "proxy/wiring.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <csignal>
#include <deque>
#include <stdexcept>
#include <thread>

namespace cba {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using admin::render_directory_metrics;

// How long stop() lets in-flight requests finish before closing their connections.
constexpr std::chrono::seconds drain_deadline{10};
// Pause after a failed accept (EMFILE and friends) so the loop cannot spin.
constexpr std::chrono::milliseconds accept_backoff{50};

tcp::endpoint parse_endpoint(const std::string& address, const std::string& key) {
  // "host:port" or "[v6]:port"; the loader has checked the shape already.
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error(key + ": expected host:port, got '" + address + "'");
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const auto port = static_cast<unsigned short>(std::stoul(address.substr(colon + 1)));
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec) throw std::runtime_error(key + ": '" + host + "' is not an IP address (names are not resolved)");
  return {ip, port};
}

void open_acceptor(tcp::acceptor& acceptor, const tcp::endpoint& endpoint, const std::string& key) {
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error(key + ": cannot listen on " + endpoint.address().to_string() + ":" +
                             std::to_string(endpoint.port()) + ": " + ec.message());
}

}  // namespace

struct server::impl {
  impl(const config::proxy_config& c, server_options o)
      : cfg(c),
        options(std::move(o)),
        log(cfg.log, options.log_sink),
        routes(cfg.routes),
        headers(make_header_policy(cfg.identity_headers)),
        directory(make_directory(cfg.directory)),
        services{cfg, routes, headers, *directory, pools, log, metrics, connections} {
    // The certificate policy decides inside the handshake; revocation is the checker's, right after it.
    policy = tls::certificate_policy::create(cfg.trust);
    revocation_checker = revocation::checker::create(
        cfg.trust, {[this](config::log_level level, std::string_view event, std::string_view detail) {
                      log.event(level, event, json_line{}.add("detail", detail));
                    }});
    services.revocation = revocation_checker.get();
    if (cfg.kerberos) {  // no KDC traffic yet: the service credential is acquired on first use
      delegation = std::make_unique<auth::delegation_service>(*cfg.kerberos, std::max(1u, cfg.runtime.blocking_threads));
      services.delegation = delegation.get();
    }
    for (const auto& listener : cfg.listeners) {
      ticket_keys.push_back(tls::session_ticket_keys::create(listener.tls.session_tickets.key_files));
      const tls::session_resumption resumption{ticket_keys.back(), cfg.trust.recheck_interval};
      listener_tls.push_back(
          std::make_unique<asio::ssl::context>(tls::make_server_context(listener.tls, *policy, resumption)));
      listeners.push_back(listener_runtime{listener, *listener_tls.back()});
    }
    unsigned threads = cfg.runtime.io_threads;
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 1; i < threads; ++i) {
      more_io.push_back(std::make_unique<asio::io_context>(1));
      more_io_work.push_back(asio::make_work_guard(*more_io.back()));
    }
    for (const auto& upstream : cfg.upstreams) {
      std::shared_ptr<asio::ssl::context> client_tls;
      if (upstream.https) client_tls = std::make_shared<asio::ssl::context>(tls::make_upstream_context(upstream.tls));
      pools.push_back(std::make_unique<upstream::pool>(upstream, client_tls));
    }
  }

  static http::header_policy make_header_policy(const config::identity_headers_config& c) {
    std::string error;
    auto policy = http::header_policy::create(c, error);
    if (!policy) throw std::runtime_error(error);
    return std::move(*policy);
  }

  asio::awaitable<void> accept_loop(std::size_t index) {
    auto& acceptor = acceptors[index];
    auto& listener = listeners[index];
    for (;;) {
      // Each connection lives on one io_context, run by one thread: the session and the upstream
      // connections it uses need no strand, and a pooled connection normally stays on its context.
      tcp::socket socket(next_session_context());
      auto [ec] = co_await acceptor.async_accept(socket, use_tuple);
      if (ec) {
        if (!acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
        log.event(config::log_level::warn, "accept_failed", json_line{}.add("listener", listener.config.name).add("error", ec.message()));
        asio::steady_timer pause(ioc, accept_backoff);
        co_await pause.async_wait(use_tuple);
        continue;
      }
      metrics.connections_accepted.fetch_add(1, std::memory_order_relaxed);
      if (metrics.connections_active.load(std::memory_order_relaxed) >=
          static_cast<std::int64_t>(listener.config.limits.max_connections)) {
        metrics.count_refusal(errc::too_many_connections);
        boost::system::error_code ignored;
        socket.close(ignored);
        continue;
      }
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto ex = socket.get_executor();
      asio::co_spawn(ex, run_session(services, listener, std::move(socket), ++next_connection_id), asio::detached);
    }
  }

  asio::io_context& next_session_context() {
    const auto n = next_context.fetch_add(1, std::memory_order_relaxed) % (1 + more_io.size());
    return n == 0 ? ioc : *more_io[n - 1];
  }

  asio::awaitable<void> drain() {
    connections.begin_drain();
    const auto deadline = std::chrono::steady_clock::now() + drain_deadline;
    asio::steady_timer tick(ioc);
    while (connections.size() > 0 && std::chrono::steady_clock::now() < deadline) {
      tick.expires_after(std::chrono::milliseconds(20));
      co_await tick.async_wait(use_tuple);
    }
    connections.close_all();
    for (auto& pool : pools) pool->close_idle();
    more_io_work.clear();  // the other io threads return once their sessions have ended
  }

  // SIGHUP: re-read every listener's session ticket keys; a listener whose files are bad keeps its
  // current keys.
  asio::awaitable<void> reload_on_sighup() {
    for (;;) {
      auto [ec, signal] = co_await hangup.async_wait(use_tuple);
      if (ec) co_return;
      revocation_checker->request_reload();  // CRL files re-read, cached answers dropped (on its worker)
      for (std::size_t i = 0; i < ticket_keys.size(); ++i) {
        const auto& keys = *ticket_keys[i];
        if (keys.files().empty()) continue;
        auto line = json_line{}.add("listener", cfg.listeners[i].name);
        if (auto problem = ticket_keys[i]->reload()) {
          log.event(config::log_level::error, "ticket_keys_reload_failed", std::move(line.add("detail", *problem)));
        } else {
          std::string names;
          for (const auto& name : keys.key_names()) names += (names.empty() ? "" : ",") + name;
          log.event(config::log_level::info, "ticket_keys_reloaded", std::move(line.add("key_names", names)));
        }
      }
    }
  }

  std::string render_tls_caches() const {
    std::vector<admin::tls_cache_occupancy> occupancies;
    for (std::size_t i = 0; i < listener_tls.size() && i < cfg.listeners.size(); ++i) {
      const auto* resumption = tls::resumption_policy::installed_on(listener_tls[i]->native_handle());
      if (resumption == nullptr) continue;
      const auto o = resumption->current_occupancy();
      occupancies.push_back({cfg.listeners[i].name, o.kept_sessions, o.verdicts, o.shared_cas});
    }
    return admin::render_tls_cache_metrics(occupancies);
  }

  bool ready() const {
    if (stopping.load()) return false;
    for (const auto& acceptor : acceptors)
      if (!acceptor.is_open()) return false;
    return directory->ready();
  }

  config::proxy_config cfg;
  server_options options;
  // runtime.io_threads io_contexts, one thread each. `ioc` also runs the listeners, admin, signals
  // and the drain; sessions are spread over all of them. Declared before everything holding sockets.
  asio::io_context ioc{1};
  std::vector<std::unique_ptr<asio::io_context>> more_io;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> more_io_work;
  std::atomic<std::size_t> next_context{0};
  event_log log;
  admin::metrics metrics;
  connection_tracker connections;
  http::route_table routes;
  http::header_policy headers;
  std::unique_ptr<ldap::directory> directory;
  std::vector<std::unique_ptr<upstream::pool>> pools;
  session_services services;
  std::shared_ptr<const tls::certificate_policy> policy;
  std::unique_ptr<revocation::checker> revocation_checker;  // outlives sessions, dies before the log
  std::unique_ptr<auth::delegation_service> delegation;     // destroyed before ioc (joins its KDC pool)
  std::vector<std::shared_ptr<tls::session_ticket_keys>> ticket_keys;  // per listener
  std::vector<std::unique_ptr<asio::ssl::context>> listener_tls;
  asio::signal_set hangup{ioc};
  std::deque<listener_runtime> listeners;  // deque: sessions hold references while more are added
  std::deque<tcp::acceptor> acceptors;
  std::optional<tcp::acceptor> admin_acceptor;
  std::atomic<std::uint64_t> next_connection_id{0};
  std::atomic<bool> stopping{false};
};

server::server(const config::proxy_config& cfg, server_options options)
    : impl_(std::make_unique<impl>(cfg, std::move(options))) {}

server::~server() = default;

void server::start() {
  auto& s = *impl_;
  for (std::size_t i = 0; i < s.cfg.listeners.size(); ++i) {
    const auto& listener = s.cfg.listeners[i];
    const std::string key = "listeners[" + std::to_string(i) + "].address";
    auto& acceptor = s.acceptors.emplace_back(s.ioc);
    open_acceptor(acceptor, parse_endpoint(listener.address, key), key);
  }
  if (!s.cfg.admin.address.empty()) {
    s.admin_acceptor.emplace(s.ioc);
    open_acceptor(*s.admin_acceptor, parse_endpoint(s.cfg.admin.address, "admin.address"), "admin.address");
    asio::co_spawn(s.ioc, admin::serve_admin(*s.admin_acceptor, {s.metrics, [&s] { return s.ready(); },
                                                                  [&s] { return render_directory_metrics(s.directory->stats()) + s.revocation_checker->render_prometheus() +
                                                                                render_delegation_metrics(s.delegation.get()) +
                                                                                s.render_tls_caches(); }}),
                   asio::detached);
  }
  for (std::size_t i = 0; i < s.acceptors.size(); ++i) asio::co_spawn(s.ioc, s.accept_loop(i), asio::detached);
  s.hangup.add(SIGHUP);
  asio::co_spawn(s.ioc, s.reload_on_sighup(), asio::detached);
  for (std::size_t i = 0; i < s.acceptors.size(); ++i) {
    const auto ep = s.acceptors[i].local_endpoint();
    s.log.event(config::log_level::info, "listening",
                json_line{}.add("listener", s.cfg.listeners[i].name)
                    .add("address", ep.address().to_string() + ":" + std::to_string(ep.port())));
  }
  if (s.admin_acceptor) {
    const auto ep = s.admin_acceptor->local_endpoint();
    s.log.event(config::log_level::info, "listening",
                json_line{}.add("listener", "admin").add("address", ep.address().to_string() + ":" + std::to_string(ep.port())));
  }
}

std::vector<tcp::endpoint> server::listener_endpoints() const {
  std::vector<tcp::endpoint> endpoints;
  for (const auto& acceptor : impl_->acceptors) endpoints.push_back(acceptor.local_endpoint());
  return endpoints;
}

std::optional<tcp::endpoint> server::admin_endpoint() const {
  if (!impl_->admin_acceptor) return std::nullopt;
  return impl_->admin_acceptor->local_endpoint();
}

void server::run() {
  auto& s = *impl_;
  std::vector<std::thread> extra;
  for (auto& context : s.more_io) extra.emplace_back([&context] { context->run(); });
  s.ioc.run();
  for (auto& t : extra) t.join();
}

void server::stop() {
  auto& s = *impl_;
  if (s.stopping.exchange(true)) return;
  asio::post(s.ioc, [&s] {
    boost::system::error_code ignored;
    for (auto& acceptor : s.acceptors) acceptor.close(ignored);
    if (s.admin_acceptor) s.admin_acceptor->close(ignored);
    s.hangup.cancel(ignored);
    asio::co_spawn(s.ioc, s.drain(), asio::detached);
  });
}

}  // namespace cba
