#include "ldap/connection.hpp"

#include "ldap/error.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sasl/sasl.h>
#include <sys/time.h>

#include <cstring>

namespace cba::ldap {

namespace asio = boost::asio;

namespace {

timeval to_timeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

std::string diagnostic(LDAP* ld) {
  char* raw = nullptr;
  ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &raw);
  const ldap_string message(raw);
  return message && *message ? std::string(" (") + message.get() + ")" : std::string();
}

std::string failure(const std::string& url, std::string_view step, LDAP* ld, int rc) {
  std::string text = url + ": " + std::string(step) + ": " + ldap_err2string(rc);
  if (ld) text += diagnostic(ld);
  return text;
}

raw_entry read_entry(LDAP* ld, LDAPMessage* message) {
  raw_entry entry;
  if (const ldap_string dn{ldap_get_dn(ld, message)}) entry.dn = dn.get();
  BerElement* raw_ber = nullptr;
  for (ldap_string name{ldap_first_attribute(ld, message, &raw_ber)}; name;) {
    std::vector<std::string> values;
    if (const berval_array vals{ldap_get_values_len(ld, message, name.get())}) {
      for (berval** v = vals.get(); *v; ++v) values.emplace_back((*v)->bv_val, (*v)->bv_len);
    }
    entry.attributes.emplace_back(name.get(), std::move(values));
    name.reset(ldap_next_attribute(ld, message, raw_ber));
  }
  const ber_element_ptr ber(raw_ber);
  return entry;
}


bool simple_bind(LDAP* h, const std::string& url, const std::string& dn, const std::string& password,
                 std::string& detail) {
  berval credentials{};
  credentials.bv_len = static_cast<ber_len_t>(password.size());
  credentials.bv_val = const_cast<char*>(password.data());
  const int rc = ldap_sasl_bind_s(h, dn.c_str(), nullptr /* LDAP_SASL_SIMPLE */, &credentials, nullptr, nullptr, nullptr);
  if (rc == LDAP_SUCCESS) return true;
  detail = failure(url, "simple bind as " + dn, h, rc);
  return false;
}

// GSSAPI needs no prompts; every other callback gets its default (none).
int sasl_no_prompts(LDAP*, unsigned, void*, void* interactions) {
  for (auto* in = static_cast<sasl_interact_t*>(interactions); in != nullptr && in->id != SASL_CB_LIST_END; ++in) {
    in->result = in->defresult != nullptr ? in->defresult : "";
    in->len = static_cast<unsigned>(std::strlen(static_cast<const char*>(in->result)));
  }
  return LDAP_SUCCESS;
}

bool gssapi_bind(LDAP* h, const std::string& url, bool tls, keytab_login& login, std::string& detail) {
  if (auto error = login.refresh(); !error.empty()) {
    detail = url + ": SASL GSSAPI bind: " + error;
    return false;
  }
  // The service principal is ldap/<host as written in the URL>: no reverse DNS that could be spoofed.
  ldap_set_option(h, LDAP_OPT_X_SASL_NOCANON, LDAP_OPT_ON);
  // On plain ldap:// the SASL layer must seal the traffic (fail closed when the server offers no
  // confidentiality); over TLS a second layer is pointless and AD refuses it.
  const char* secprops = tls ? "maxssf=0" : "minssf=56";
  if (ldap_set_option(h, LDAP_OPT_X_SASL_SECPROPS, secprops) != LDAP_OPT_SUCCESS) {
    detail = url + ": SASL GSSAPI bind: cannot set security properties " + secprops;
    return false;
  }
  const bind_scope scope(login.ccache_name());
  const int rc = ldap_sasl_interactive_bind_s(h, nullptr, "GSSAPI", nullptr, nullptr, LDAP_SASL_QUIET,
                                              sasl_no_prompts, nullptr);
  if (rc == LDAP_SUCCESS) return true;
  detail = failure(url, "SASL GSSAPI bind as " + login.principal(), h, rc);
  return false;
}

}  // namespace

struct connection::pending {
  pending(const asio::any_io_executor& ex, std::chrono::steady_clock::time_point deadline) : timer(ex, deadline) {}

  void finish(boost::system::error_code ec) {
    if (done) return;
    done = true;
    outcome.ec = ec;
    timer.cancel();
  }

  asio::steady_timer timer;
  bool done = false;
  search_outcome outcome;
};

ldap_ptr connection::establish(const std::string& url, const client_options& options,
                               const bind_credentials& credentials, std::string& detail) {
  LDAP* raw = nullptr;
  int rc = ldap_initialize(&raw, url.c_str());
  ldap_ptr ld(raw);
  if (rc != LDAP_SUCCESS || !ld) {
    detail = failure(url, "initialize", nullptr, rc);
    return {};
  }
  LDAP* h = ld.get();
  const int version = LDAP_VERSION3;
  const int deref = LDAP_DEREF_NEVER;
  const timeval timeout = to_timeval(options.timeout);
  // Every option that /etc/ldap/ldap.conf or ~/.ldaprc could have set is set here, per handle.
  ldap_set_option(h, LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_option(h, LDAP_OPT_REFERRALS, nullptr);  // LDAP_OPT_OFF
  ldap_set_option(h, LDAP_OPT_DEREF, &deref);
  ldap_set_option(h, LDAP_OPT_NETWORK_TIMEOUT, &timeout);
  ldap_set_option(h, LDAP_OPT_TIMEOUT, &timeout);
  // Server-side limits: the time limit is the lookup's deadline rounded up; the size limit is per search.
  const int time_limit = static_cast<int>((options.timeout.count() + 999) / 1000);
  const int no_size_limit = 0;
  ldap_set_option(h, LDAP_OPT_TIMELIMIT, &time_limit);
  ldap_set_option(h, LDAP_OPT_SIZELIMIT, &no_size_limit);

  const bool ldaps = url.size() >= 8 && (url.compare(0, 8, "ldaps://") == 0 || url.compare(0, 8, "LDAPS://") == 0);
  if (ldaps || options.start_tls) {
    const int demand = LDAP_OPT_X_TLS_DEMAND;
    const int tls12 = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
    const int no_crl = LDAP_OPT_X_TLS_CRL_NONE;
    const int new_context = 0;  // a context of this handle's own, never the process-wide default
    ldap_set_option(h, LDAP_OPT_X_TLS_CACERTDIR, nullptr);
    ldap_set_option(h, LDAP_OPT_X_TLS_CERTFILE, nullptr);
    ldap_set_option(h, LDAP_OPT_X_TLS_KEYFILE, nullptr);
    ldap_set_option(h, LDAP_OPT_X_TLS_CRLCHECK, &no_crl);
    rc = ldap_set_option(h, LDAP_OPT_X_TLS_CACERTFILE, options.ca_file.c_str());
    if (rc == LDAP_OPT_SUCCESS) rc = ldap_set_option(h, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
    if (rc == LDAP_OPT_SUCCESS) rc = ldap_set_option(h, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls12);
    if (rc == LDAP_OPT_SUCCESS) rc = ldap_set_option(h, LDAP_OPT_X_TLS_NEWCTX, &new_context);
    if (rc != LDAP_OPT_SUCCESS) {
      detail = url + ": cannot set up TLS with CA file " + options.ca_file + diagnostic(h);
      return {};
    }
  }

  rc = ldap_connect(h);
  if (rc != LDAP_SUCCESS) {
    detail = failure(url, ldaps ? "connect (TLS)" : "connect", h, rc);
    return {};
  }
  if (!ldaps && options.start_tls) {
    rc = ldap_start_tls_s(h, nullptr, nullptr);
    if (rc != LDAP_SUCCESS) {
      detail = failure(url, "StartTLS", h, rc);
      return {};
    }
  }
  const bool tls = ldaps || options.start_tls;
  const bool bound = options.bind == client_options::bind_method::gssapi
                         ? gssapi_bind(h, url, tls, *credentials.login, detail)
                         : simple_bind(h, url, options.bind_dn, credentials.password, detail);
  if (!bound) return {};
  return ld;
}

std::shared_ptr<connection> connection::adopt(asio::any_io_executor loop, ldap_ptr handle, std::string url,
                                              std::string& detail) {
  int fd = -1;
  if (ldap_get_option(handle.get(), LDAP_OPT_DESC, &fd) != LDAP_OPT_SUCCESS || fd < 0) {
    detail = url + ": libldap has no socket for the connection";
    return nullptr;
  }
  auto c = std::make_shared<connection>(std::move(loop), std::move(handle), std::move(url), fd);
  // Reads happen only after readiness, but a partial TLS record must never block the loop thread.
  boost::system::error_code ec;
  c->socket_.non_blocking(true, ec);
  if (ec) {
    detail = c->url_ + ": cannot make the socket non-blocking: " + ec.message();
    c->close();
    return nullptr;
  }
  return c;
}

connection::connection(asio::any_io_executor loop, ldap_ptr handle, std::string url, int fd)
    : ld_(std::move(handle)), url_(std::move(url)), socket_(std::move(loop), fd) {}

connection::~connection() {
  // The socket is libldap's: release it from Asio first, then unbind closes it.
  if (socket_.is_open()) socket_.release();
}

void connection::start(std::function<void(connection&)> on_dead) {
  on_dead_ = std::move(on_dead);
  asio::co_spawn(socket_.get_executor(), read_loop(), asio::detached);
}

asio::awaitable<void> connection::read_loop() {
  const auto self = shared_from_this();
  while (alive_) {
    auto [ec] = co_await socket_.async_wait(asio::posix::descriptor_base::wait_read,
                                            asio::as_tuple(asio::use_awaitable));
    if (!alive_) co_return;  // close() released the socket
    // An idle LDAP connection has nothing legitimate to receive: readable means the server closed
    // it (EOF, TLS close_notify) or sent a Notice of Disconnection.
    const bool idle = pending_.empty();
    const bool healthy = !ec && drain();
    if (!healthy || idle) {
      die();
      co_return;
    }
  }
}

bool connection::drain() {
  for (;;) {
    LDAPMessage* raw = nullptr;
    timeval zero{};
    const int type = ldap_result(ld_.get(), LDAP_RES_ANY, LDAP_MSG_ONE, &zero, &raw);
    const message_ptr message(raw);
    if (type == 0) return true;
    if (type < 0 || !message) return false;
    const int id = ldap_msgid(message.get());
    if (id == 0) return false;  // unsolicited notification: the server is closing the connection
    const auto it = pending_.find(id);
    if (it == pending_.end()) continue;  // a late answer to an abandoned request
    auto& op = *it->second;
    switch (type) {
      case LDAP_RES_SEARCH_ENTRY: op.outcome.entries.push_back(read_entry(ld_.get(), message.get())); break;
      case LDAP_RES_SEARCH_REFERENCE: break;  // continuation references are never chased
      case LDAP_RES_SEARCH_RESULT: {
        int rc = LDAP_OTHER;
        const int parsed = ldap_parse_result(ld_.get(), message.get(), &rc, nullptr, nullptr, nullptr, nullptr, 0);
        if (parsed != LDAP_SUCCESS) rc = parsed;
        pending_.erase(it);
        op.finish(rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED ? boost::system::error_code{}
                                                                        : make_result_error(rc));
        break;
      }
      default:
        pending_.erase(it);
        op.finish(make_error_code(errc::protocol));
    }
  }
}

asio::awaitable<search_outcome> connection::search(std::string base, int scope, std::string filter,
                                                   const char* const* attributes, int size_limit,
                                                   std::chrono::steady_clock::time_point deadline) {
  const auto self = shared_from_this();
  if (!alive_) co_return search_outcome{make_error_code(errc::connection_lost), {}};
  int msgid = 0;
  const int rc = ldap_search_ext(ld_.get(), base.c_str(), scope, filter.c_str(), const_cast<char**>(attributes), 0,
                                 nullptr, nullptr, nullptr, size_limit, &msgid);
  if (rc != LDAP_SUCCESS) {
    // Could not even send it: a dead socket reads as a lost connection, anything else keeps its code.
    const bool lost = rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR;
    co_return search_outcome{lost ? make_error_code(errc::connection_lost) : make_result_error(rc), {}};
  }
  pending op(socket_.get_executor(), deadline);
  pending_.emplace(msgid, &op);
  if (!op.done) {
    auto [ec] = co_await op.timer.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ec;
  }
  pending_.erase(msgid);
  if (!op.done) {
    if (alive_) ldap_abandon_ext(ld_.get(), msgid, nullptr, nullptr);
    op.outcome.ec = make_error_code(errc::timeout);
  }
  co_return std::move(op.outcome);
}

void connection::fail_all(const boost::system::error_code& ec) noexcept {
  auto ops = std::move(pending_);
  pending_.clear();
  for (auto& [id, op] : ops) op->finish(ec);
}

void connection::die() {
  if (!alive_) return;
  close();
  if (on_dead_) {
    auto notify = std::move(on_dead_);
    notify(*this);
  }
}

void connection::close() noexcept {
  if (!alive_) return;
  alive_ = false;
  if (socket_.is_open()) socket_.release();  // cancels the pending wait; libldap keeps the fd
  fail_all(make_error_code(errc::connection_lost));
  ld_.reset();  // unbind: sends UnbindRequest (best effort) and closes the socket
}

}  // namespace cba::ldap
