#include "ldap/client.hpp"

#include "ldap/account_decoder.hpp"
#include "ldap/connection.hpp"
#include "ldap/error.hpp"
#include "ldap/filter_escape.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace cba::ldap {

namespace asio = boost::asio;

namespace {

const char* const computed_only[] = {"msDS-User-Account-Control-Computed", nullptr};

}  // namespace

client::client(asio::any_io_executor loop, asio::any_io_executor blocking, client_options options,
               bind_credentials credentials)
    : loop_(std::move(loop)),
      blocking_(std::move(blocking)),
      options_(std::make_shared<const client_options>(std::move(options))),
      credentials_(std::make_shared<const bind_credentials>(std::move(credentials))),
      probe_(loop_) {
  for (const auto& url : options_->urls) servers_.push_back(server{url});
}

client::~client() = default;

void client::start() { start_connect(); }

void client::shutdown() {
  shut_down_ = true;
  probe_.cancel();
  auto connections = std::move(connections_);
  connections_.clear();
  for (auto& c : connections) c->close();
  ready_.store(false);
  notify_waiters();
}

std::string client::last_error() const {
  std::lock_guard lock(last_error_mutex_);
  return last_error_;
}

void client::set_last_error(std::string text) {
  std::lock_guard lock(last_error_mutex_);
  last_error_ = std::move(text);
}

directory_stats client::stats() const noexcept {
  directory_stats s;
  s.queries = queries_.load(std::memory_order_relaxed);
  return s;
}

void client::notify_waiters() {
  for (auto* waiter : waiters_) waiter->cancel();
}

bool client::any_server_due(clock::time_point now) const {
  return std::any_of(servers_.begin(), servers_.end(), [&](const server& s) { return s.retry_at <= now; });
}

std::shared_ptr<connection> client::pick() {
  std::shared_ptr<connection> best;
  for (const auto& c : connections_)
    if (c->alive() && (!best || c->in_flight() < best->in_flight())) best = c;
  // Every connection busy: grow the pool in the background, meanwhile share the least loaded one.
  if (best && best->in_flight() > 0 && connecting_ == 0 && connections_.size() < options_->pool_size &&
      any_server_due(clock::now()))
    start_connect();
  return best;
}

void client::start_connect() {
  if (shut_down_) return;
  ++connecting_;
  asio::co_spawn(loop_, connect_cycle(), asio::detached);
}

asio::awaitable<void> client::connect_cycle() {
  for (auto& s : servers_) {
    if (shut_down_) break;
    if (s.retry_at > clock::now()) continue;  // backing off
    auto attempt = [url = s.url, options = options_, credentials = credentials_]() -> asio::awaitable<std::pair<ldap_ptr, std::string>> {
      std::string detail;
      auto handle = connection::establish(url, *options, *credentials, detail);
      co_return std::make_pair(std::move(handle), std::move(detail));
    };
    auto [handle, detail] = co_await asio::co_spawn(blocking_, std::move(attempt), asio::use_awaitable);
    if (shut_down_) break;
    std::shared_ptr<connection> c;
    if (handle) c = connection::adopt(loop_, std::move(handle), s.url, detail);
    if (c) {
      s.failures = 0;
      s.retry_at = {};
      connections_.push_back(c);
      c->start([this](connection& dead) { on_connection_dead(dead); });
      ready_.store(true);
      --connecting_;
      notify_waiters();
      co_return;
    }
    ++s.failures;
    const auto shift = std::min(s.failures - 1, 16u);
    const auto delay = std::min(options_->backoff_max, options_->backoff_initial * (std::int64_t{1} << shift));
    s.retry_at = clock::now() + delay;
    set_last_error(detail);
  }
  --connecting_;
  ++failed_cycles_;
  if (connections_.empty() && !shut_down_) {
    ready_.store(false);
    schedule_probe();
  }
  notify_waiters();
}

void client::schedule_probe() {
  if (probe_armed_ || servers_.empty()) return;
  auto next = servers_.front().retry_at;
  for (const auto& s : servers_) next = std::min(next, s.retry_at);
  probe_armed_ = true;
  probe_.expires_at(next);
  probe_.async_wait([this](boost::system::error_code ec) {
    probe_armed_ = false;
    if (ec || shut_down_) return;
    if (connections_.empty() && connecting_ == 0) start_connect();
  });
}

void client::on_connection_dead(connection& dead) {
  std::erase_if(connections_, [&](const auto& c) { return c.get() == &dead; });
  // Keep one connection warm; the attempt also tells ready() whether the servers are still there.
  if (connections_.empty() && connecting_ == 0) start_connect();
}

void client::drop(const std::shared_ptr<connection>& c) {
  std::erase(connections_, c);
  c->close();
  if (connections_.empty() && connecting_ == 0) start_connect();
}

asio::awaitable<boost::system::result<std::shared_ptr<connection>>> client::acquire(clock::time_point deadline) {
  for (;;) {
    if (shut_down_) co_return make_error_code(errc::unavailable);
    if (auto c = pick()) co_return c;
    if (connecting_ == 0) {
      if (!any_server_due(clock::now())) co_return make_error_code(errc::unavailable);
      start_connect();
    }
    const auto failed_before = failed_cycles_;
    asio::steady_timer wake(loop_, deadline);
    waiters_.push_back(&wake);
    auto [ec] = co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
    std::erase(waiters_, &wake);
    if (!ec) co_return make_error_code(errc::timeout);
    if (failed_cycles_ != failed_before && connections_.empty()) co_return make_error_code(errc::unavailable);
  }
}

asio::awaitable<lookup_result> client::lookup(std::string_view upn_view) {
  const std::string upn(upn_view);
  // No userPrincipalName contains control characters; some servers (Samba) even cut an escaped NUL
  // short and would match "alice@example.test\0x" to alice. Such a UPN matches nobody.
  if (std::any_of(upn.begin(), upn.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f; }))
    co_return make_error_code(errc::not_found);
  const auto deadline = clock::now() + options_->timeout;
  const std::string filter = expand_user_filter(options_->user_filter, upn);
  for (int attempt = 0;; ++attempt) {
    auto acquired = co_await acquire(deadline);
    if (!acquired) co_return acquired.error();
    const auto c = *acquired;
    queries_.fetch_add(1, std::memory_order_relaxed);
    auto found = co_await c->search(options_->base_dn, LDAP_SCOPE_SUBTREE, filter, account_attributes, 2, deadline);
    if (found.ec) {
      if (is_fatal(found.ec)) drop(c);
      // The server closed an idle-looking connection under us: once more on a fresh one.
      if (found.ec == errc::connection_lost && attempt == 0) continue;
      co_return found.ec;
    }
    if (found.entries.empty()) co_return make_error_code(errc::not_found);
    if (found.entries.size() > 1) co_return make_error_code(errc::ambiguous);
    auto account = decode_account(found.entries.front(), upn);
    if (!account) co_return account;
    if (!found.entries.front().values(computed_uac_attribute)) {
      // Windows DCs compute msDS-User-Account-Control-Computed only for base-scope reads.
      queries_.fetch_add(1, std::memory_order_relaxed);
      auto base = co_await c->search(account->dn, LDAP_SCOPE_BASE, "(objectClass=*)", computed_only, 1, deadline);
      if (base.ec) {
        if (is_fatal(base.ec)) drop(c);
        co_return base.ec;
      }
      if (!base.entries.empty()) {
        const auto* computed = base.entries.front().first(computed_uac_attribute);
        const auto flags = computed ? parse_integer(*computed) : std::nullopt;
        if (computed && !flags) co_return make_error_code(errc::bad_entry);
        if (flags) account->locked = (static_cast<std::uint64_t>(*flags) & uac_lockout) != 0;
      }
    }
    co_return account;
  }
}

}  // namespace cba::ldap
