#include "proxy/tls/resumption_policy.hpp"

#include <openssl/err.h>

#include <algorithm>
#include <ctime>
#include <limits>
#include <stdexcept>

namespace cba::tls {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using policy_keepalive = std::shared_ptr<const resumption_policy>;

constexpr std::string_view magic = "cba1";
constexpr std::size_t max_chain_certificates = 16;
constexpr std::size_t max_certificate_bytes = 0xffffff;
// Instances sharing ticket keys may disagree a little about the time; beyond this a ticket "from the
// future" is refused.
constexpr milliseconds future_tolerance{std::chrono::minutes(1)};
// Remembered verdicts: long enough for a device that reconnects all day to skip re-verification, short
// enough that a chain built differently by a changed trust store cannot ride on an old verdict for long.
constexpr milliseconds max_verdict_ttl{std::chrono::minutes(1)};
constexpr std::size_t verdict_cache_capacity = 4096;
constexpr std::size_t header_size = 4 + 8;  // magic + verified_at
// Distinct CA certificates shared between connections: a deployment has a handful; the bound only
// keeps a pathological trust store from growing it without limit.
constexpr std::size_t interned_ca_capacity = 256;
// Sessions kept in this process (no ticket key files): about one per client device that connected
// within trust.recheck_interval. An entry whose connection has closed holds its SSL_SESSION and the
// decoded client certificate, 5-7 KiB, so at most ~140 MiB; past this the oldest entry goes first and
// its device makes a full handshake.
constexpr std::size_t stored_session_capacity = 20000;

// Per connection: the identity the ticket carried (re-issued unchanged in new tickets), or why the
// offered ticket was refused.
struct connection_state {
  std::string resumed_appdata;
  std::optional<std::int64_t> verified_at_ms;
  std::shared_ptr<const verified_ticket_chain> chain;  // of the resumed ticket, above the leaf
  std::string refused;
  bool certificate_request_dropped = false;  // SSL_VERIFY_NONE set for an accepted TLS 1.3 ticket
};

// After the ticket callback accepts a TLS 1.3 ticket, OpenSSL 3.0 still falls back to a full
// handshake when the ticket's cipher suite hashes differently from the one chosen for this connection
// (the only fallback left: no early data, one identity; a bad binder aborts). Same hash: it resumes.
bool resumes_for_sure(SSL* ssl, SSL_SESSION* session) {
  const SSL_CIPHER* chosen = SSL_get_pending_cipher(ssl);
  const SSL_CIPHER* ticket = session != nullptr ? SSL_SESSION_get0_cipher(session) : nullptr;
  if (chosen == nullptr || ticket == nullptr) return false;
  const EVP_MD* a = SSL_CIPHER_get_handshake_digest(chosen);
  const EVP_MD* b = SSL_CIPHER_get_handshake_digest(ticket);
  return a != nullptr && b != nullptr && EVP_MD_get_type(a) == EVP_MD_get_type(b);
}

// OpenSSL keeps the ClientHello transcript buffered for a client certificate that a resumption never
// asks for, for the connection's lifetime, unless no certificate is to be requested: with the
// session's identity accepted, none is (this connection only; certificate_request_skipped refuses the
// connection should the handshake not resume after all).
void drop_certificate_request(SSL* ssl, SSL_SESSION* session, connection_state& s) {
  if (SSL_version(ssl) != TLS1_3_VERSION || !resumes_for_sure(ssl, session)) return;
  SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
  s.certificate_request_dropped = true;
}

// The app data parsed in place: the certificates stay views into it.
struct identity_view {
  std::int64_t verified_at_ms = 0;
  std::string_view chain_bytes;  // the count byte and every length-prefixed certificate
  std::vector<std::string_view> chain_der;
};

std::optional<identity_view> parse_identity(std::string_view bytes) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])); };
  if (bytes.size() < header_size + 1 || bytes.substr(0, magic.size()) != magic) return std::nullopt;
  std::size_t at = magic.size();
  std::uint64_t time = 0;
  for (int i = 0; i < 8; ++i) time = (time << 8) | byte(at++);
  identity_view view;
  view.verified_at_ms = static_cast<std::int64_t>(time);
  view.chain_bytes = bytes.substr(at);
  const std::size_t count = static_cast<std::size_t>(byte(at++));
  if (count > max_chain_certificates) return std::nullopt;
  view.chain_der.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (bytes.size() - at < 3) return std::nullopt;
    const auto size = static_cast<std::size_t>((byte(at) << 16) | (byte(at + 1) << 8) | byte(at + 2));
    at += 3;
    if (size == 0 || bytes.size() - at < size) return std::nullopt;
    view.chain_der.push_back(bytes.substr(at, size));
    at += size;
  }
  if (at != bytes.size()) return std::nullopt;
  return view;
}

void free_state(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) { delete static_cast<connection_state*>(ptr); }

int state_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, &free_state);
  return index;
}

connection_state* state(SSL* ssl, bool create) {
  auto* s = static_cast<connection_state*>(SSL_get_ex_data(ssl, state_index()));
  if (s == nullptr && create) {
    auto fresh = std::make_unique<connection_state>();
    if (SSL_set_ex_data(ssl, state_index(), fresh.get()) != 1) return nullptr;
    s = fresh.release();
  }
  return s;
}

void free_keepalive(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<policy_keepalive*>(ptr);
}

int keepalive_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, &free_keepalive);
  return index;
}

std::int64_t unix_ms(std::chrono::system_clock::time_point t) {
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

std::string seconds_text(std::int64_t ms) { return std::to_string(ms / 1000) + "s"; }

}  // namespace

std::string encode_ticket_identity(const ticket_identity& identity) {
  std::string out(magic);
  const auto at = static_cast<std::uint64_t>(identity.verified_at_ms);
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((at >> shift) & 0xff);
  out += static_cast<char>(identity.chain_der.size());
  for (const auto& der : identity.chain_der) {
    const auto size = der.size();
    out += static_cast<char>((size >> 16) & 0xff);
    out += static_cast<char>((size >> 8) & 0xff);
    out += static_cast<char>(size & 0xff);
    out += der;
  }
  return out;
}

std::optional<ticket_identity> decode_ticket_identity(std::string_view bytes) {
  auto view = parse_identity(bytes);
  if (!view) return std::nullopt;
  ticket_identity identity;
  identity.verified_at_ms = view->verified_at_ms;
  for (const auto der : view->chain_der) identity.chain_der.emplace_back(der);
  return identity;
}

// ---- resumption_policy ----

milliseconds resumption_policy::verdict_ttl(milliseconds recheck_interval) {
  return std::min(recheck_interval, max_verdict_ttl);
}

std::shared_ptr<const resumption_policy> resumption_policy::create(std::shared_ptr<const certificate_policy> policy,
                                                                   milliseconds recheck_interval, clock_function now,
                                                                   std::shared_ptr<const session_ticket_keys> keys) {
  if (!policy) throw std::invalid_argument("resumption_policy needs a certificate policy");
  std::shared_ptr<resumption_policy> created{new resumption_policy()};
  created->policy_ = std::move(policy);
  created->keys_ = std::move(keys);
  created->recheck_interval_ = recheck_interval;
  created->now_ = now;
  created->cache_ = std::make_unique<verdict_cache>(verdict_cache_capacity, verdict_ttl(recheck_interval));
  created->interner_ = std::make_unique<ca_interner>(interned_ca_capacity);
  if (!created->keys_ || created->keys_->files().empty()) {
    // A minute past the interval, so that a session offered just too late is refused by admit_stored()
    // saying so, rather than merely not found.
    created->store_ = std::make_unique<session_store>(stored_session_capacity, recheck_interval + future_tolerance);
  }
  return created;
}

void resumption_policy::install(SSL_CTX* ctx) const {
  auto* previous = static_cast<policy_keepalive*>(SSL_CTX_get_ex_data(ctx, keepalive_index()));
  auto keepalive = std::make_unique<policy_keepalive>(shared_from_this());
  if (SSL_CTX_set_ex_data(ctx, keepalive_index(), keepalive.get()) != 1 ||
      SSL_CTX_set_session_ticket_cb(ctx, &resumption_policy::generate, &resumption_policy::decrypted,
                                    const_cast<void*>(static_cast<const void*>(this))) != 1) {
    throw std::runtime_error("cannot install the session resumption policy: " + openssl_error_string());
  }
  if (store_) {
    // TLS 1.3 stateful tickets and TLS 1.2 session ids, looked up only through recall(): OpenSSL's
    // internal cache would resume without asking this policy.
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL | SSL_SESS_CACHE_NO_AUTO_CLEAR);
    SSL_CTX_sess_set_new_cb(ctx, &resumption_policy::remember);
    SSL_CTX_sess_set_get_cb(ctx, &resumption_policy::recall);
  }
  static_cast<void>(keepalive.release());
  delete previous;
}

int resumption_policy::generate(SSL* ssl, void* arg) {
  // A C callback: nothing may escape it. Returning 1 without app data issues a ticket that can never
  // resume (decrypted() refuses it), which is the safe failure.
  try {
    const auto* self = static_cast<const resumption_policy*>(arg);
    SSL_SESSION* session = SSL_get_session(ssl);
    if (session == nullptr) return 1;
    // Resumed (admit() accepted a ticket on this connection): no chain was verified here, and
    // SSL_session_reused is not reliable yet while TLS 1.3 builds its tickets. Carry the resumed
    // ticket's identity unchanged.
    if (const connection_state* s = state(ssl, false);
        s != nullptr && s->verified_at_ms && SSL_get0_verified_chain(ssl) == nullptr) {
      SSL_SESSION_set1_ticket_appdata(session, s->resumed_appdata.data(), s->resumed_appdata.size());
      // OpenSSL restarts the session's lifetime for every new ticket; the identity expires with the
      // original verification, so the ticket's lifetime (TLS 1.3's hint, and OpenSSL's own expiry
      // check on decryption) is what remains of trust.recheck_interval.
      const auto left = *s->verified_at_ms + self->recheck_interval_.count() - unix_ms(self->now_());
      SSL_SESSION_set_timeout(session, static_cast<long>(std::max<std::int64_t>(1, (left + 999) / 1000)));
      return 1;
    }
    // Kept in this process: remember() records the identity, nothing is sealed into the ticket.
    if (self->store_) return 1;
    const peer_verdict* verdict = certificate_policy::attached(ssl);
    STACK_OF(X509)* chain = SSL_get0_verified_chain(ssl);
    if (verdict == nullptr || verdict->reason != errc::ok || !verdict->certificate_presented || chain == nullptr ||
        sk_X509_num(chain) < 1) {
      SSL_SESSION_set1_ticket_appdata(session, nullptr, 0);
      return 1;
    }
    ticket_identity identity;
    identity.verified_at_ms = unix_ms(self->now_());
    const int size = sk_X509_num(chain);
    for (int i = 1; i < size; ++i) {
      unsigned char* der = nullptr;
      const int length = i2d_X509(sk_X509_value(chain, i), &der);
      const openssl_bytes_ptr owned{der};
      if (length <= 0) return 1;
      identity.chain_der.emplace_back(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
    }
    if (identity.chain_der.size() > max_chain_certificates) return 1;
    const auto data = encode_ticket_identity(identity);
    SSL_SESSION_set1_ticket_appdata(session, data.data(), data.size());
    return 1;
  } catch (...) {
    ERR_clear_error();
    return 1;
  }
}

SSL_TICKET_RETURN resumption_policy::decrypted(SSL* ssl, SSL_SESSION* session, const unsigned char*, std::size_t,
                                               SSL_TICKET_STATUS status, void* arg) {
  try {
    if (status == SSL_TICKET_FATAL_ERR_MALLOC || status == SSL_TICKET_FATAL_ERR_OTHER) return SSL_TICKET_RETURN_ABORT;
    connection_state* s = state(ssl, true);
    if (s == nullptr) return SSL_TICKET_RETURN_IGNORE_RENEW;
    if (status == SSL_TICKET_EMPTY) return SSL_TICKET_RETURN_IGNORE_RENEW;
    if (status == SSL_TICKET_NO_DECRYPT) {
      s->refused = "the ticket does not decrypt with any current ticket key (unknown key or altered ticket)";
      return SSL_TICKET_RETURN_IGNORE_RENEW;
    }
    const auto* self = static_cast<const resumption_policy*>(arg);
    if (auto why = self->admit(ssl, session)) {
      s->refused = std::move(*why);
      s->resumed_appdata.clear();
      s->verified_at_ms.reset();
      s->chain.reset();
      return SSL_TICKET_RETURN_IGNORE_RENEW;
    }
    s->refused.clear();
    drop_certificate_request(ssl, session, *s);
    // TLS 1.3 clients use a ticket once, so a resumed connection hands out a fresh one (carrying the
    // original verification time); TLS 1.2 renews only tickets under an older key.
    if (SSL_version(ssl) == TLS1_3_VERSION || status == SSL_TICKET_SUCCESS_RENEW) return SSL_TICKET_RETURN_USE_RENEW;
    return SSL_TICKET_RETURN_USE;
  } catch (...) {
    ERR_clear_error();
    return SSL_TICKET_RETURN_IGNORE_RENEW;
  }
}

std::optional<std::string> resumption_policy::admit(SSL* ssl, SSL_SESSION* session) const {
  const void* data = nullptr;
  std::size_t length = 0;
  if (session == nullptr || SSL_SESSION_get0_ticket_appdata(session, const_cast<void**>(&data), &length) != 1 ||
      data == nullptr || length == 0) {
    return "the ticket carries no verified client certificate";
  }
  const std::string_view appdata(static_cast<const char*>(data), length);
  const auto identity = parse_identity(appdata);
  if (!identity) return "the ticket's identity data is not in this proxy's format";
  X509* leaf = SSL_SESSION_get0_peer(session);
  if (leaf == nullptr) return "the ticket carries no client certificate";

  const auto now = unix_ms(now_());
  if (auto why = too_old(identity->verified_at_ms, now)) return why;

  // The same leaf and chain passed the policy moments ago: only their validity periods can have
  // changed the verdict since, and find() checks them.
  const std::uint64_t generation = keys_ ? keys_->generation() : 0;
  const auto key = verdict_cache::key_of(leaf, identity->chain_bytes);
  std::shared_ptr<const verified_ticket_chain> known;
  if (key) known = cache_->find(*key, now, generation);
  if (!known) {
    std::vector<x509_ptr> chain;
    std::vector<X509*> presented;
    for (const auto der : identity->chain_der) {
      // A CA certificate with exactly these bytes was parsed before: the shared copy, same content.
      x509_ptr cert = interner_->find_der(der);
      if (!cert) {
        const auto* p = reinterpret_cast<const unsigned char*>(der.data());
        cert.reset(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
      }
      if (!cert) {
        ERR_clear_error();
        return "the ticket's certificate chain does not parse";
      }
      presented.push_back(cert.get());
      chain.push_back(std::move(cert));
    }
    peer_verdict verdict = policy_->verify(leaf, presented);
    if (verdict.reason != errc::ok) return "the certificate no longer passes the policy: " + verdict.detail;
    // Passed: the connection (and the cache entry) hold shared copies, not this ticket's own parse.
    for (auto& cert : chain) {
      if (X509* shared = interner_->intern(cert.get()); shared != nullptr && shared != cert.get()) cert = up_ref(shared);
    }
    if (key) {
      std::vector<x509_ptr> shared;
      for (const auto& cert : chain) shared.push_back(up_ref(cert.get()));
      cache_->insert(*key, leaf, std::move(shared), now, generation);
    }
    auto fresh = std::make_shared<verified_ticket_chain>();
    fresh->chain = std::move(chain);
    known = std::move(fresh);
  }
  return adopt(ssl, identity->verified_at_ms, std::move(known), appdata);
}

std::optional<std::string> resumption_policy::too_old(std::int64_t verified_at_ms, std::int64_t now_ms) const {
  const auto age = now_ms - verified_at_ms;
  if (age > recheck_interval_.count()) {
    return "the certificate was verified " + seconds_text(age) + " ago, more than trust.recheck_interval (" +
           seconds_text(recheck_interval_.count()) + ")";
  }
  if (-age > future_tolerance.count()) return "the ticket's verification time lies in the future";
  return std::nullopt;
}

std::optional<std::string> resumption_policy::adopt(SSL* ssl, std::int64_t verified_at_ms,
                                                    std::shared_ptr<const verified_ticket_chain> chain,
                                                    std::string_view appdata) const {
  // The session sees what a full handshake would have left: a verified certificate.
  if (peer_verdict* attached = certificate_policy::attached(ssl)) *attached = peer_verdict{errc::ok, {}, true};
  connection_state* s = state(ssl, true);
  if (s == nullptr) return "out of memory";
  s->resumed_appdata.assign(appdata);
  s->verified_at_ms = verified_at_ms;
  s->chain = std::move(chain);
  return std::nullopt;
}

std::optional<std::string> resumption_policy::admit_stored(SSL* ssl, const stored_session& stored) const {
  X509* leaf = SSL_SESSION_get0_peer(stored.session.get());
  if (leaf == nullptr || !stored.chain) return "the session carries no verified client certificate";
  const auto now = unix_ms(now_());
  if (auto why = too_old(stored.verified_at_ms, now)) return why;
  // The verdict on this chain is reused like a remembered ticket verdict: while it is young and every
  // certificate is inside its validity period; after that the policy decides again.
  std::shared_ptr<const verified_ticket_chain> chain = stored.chain;
  const std::int64_t now_s = now / 1000;
  if (now >= chain->expires_ms || now_s < chain->valid_from_s || now_s > chain->valid_until_s) {
    std::vector<X509*> presented;
    std::vector<x509_ptr> copies;
    for (const auto& cert : chain->chain) {
      presented.push_back(cert.get());
      copies.push_back(up_ref(cert.get()));
    }
    peer_verdict verdict = policy_->verify(leaf, presented);
    if (verdict.reason != errc::ok) return "the certificate no longer passes the policy: " + verdict.detail;
    chain = make_verified_chain(leaf, std::move(copies), now + cache_->ttl().count());
    if (!chain) return "a certificate's validity period does not parse";
  }
  return adopt(ssl, stored.verified_at_ms, std::move(chain), {});
}

resumption_policy::occupancy resumption_policy::current_occupancy() const {
  occupancy o;
  o.kept_sessions = store_ ? store_->size() : 0;
  o.verdicts = cache_->size();
  o.shared_cas = interner_->size();
  return o;
}

const resumption_policy* resumption_policy::installed_on(SSL_CTX* ctx) {
  const auto* keepalive = static_cast<const policy_keepalive*>(SSL_CTX_get_ex_data(ctx, keepalive_index()));
  return keepalive != nullptr && *keepalive ? keepalive->get() : nullptr;
}

std::vector<x509_ptr> resumption_policy::verified_chain(SSL* ssl) {
  std::vector<x509_ptr> out;
  if (SSL_session_reused(ssl) == 1) {
    const connection_state* s = state(ssl, false);
    X509* leaf = SSL_get0_peer_certificate(ssl);
    if (s == nullptr || !s->verified_at_ms || leaf == nullptr) return out;
    out.push_back(up_ref(leaf));
    if (s->chain) {
      for (const auto& cert : s->chain->chain) out.push_back(up_ref(cert.get()));
    }
    return out;
  }
  const peer_verdict* verdict = certificate_policy::attached(ssl);
  STACK_OF(X509)* chain = SSL_get0_verified_chain(ssl);
  if (verdict == nullptr || verdict->reason != errc::ok || chain == nullptr) return out;
  for (int i = 0; i < sk_X509_num(chain); ++i) out.push_back(up_ref(sk_X509_value(chain, i)));
  return out;
}

std::optional<std::chrono::system_clock::time_point> resumption_policy::verified_at(SSL* ssl) {
  if (SSL_session_reused(ssl) == 1) {
    const connection_state* s = state(ssl, false);
    if (s == nullptr || !s->verified_at_ms) return std::nullopt;
    return std::chrono::system_clock::time_point{milliseconds(*s->verified_at_ms)};
  }
  const peer_verdict* verdict = certificate_policy::attached(ssl);
  if (verdict == nullptr || verdict->reason != errc::ok || !verdict->certificate_presented) return std::nullopt;
  return std::chrono::system_clock::now();
}

std::string resumption_policy::refused_ticket_reason(SSL* ssl) {
  const connection_state* s = state(ssl, false);
  return s != nullptr ? s->refused : std::string();
}

bool resumption_policy::certificate_request_skipped(SSL* ssl) {
  const connection_state* s = state(ssl, false);
  return s != nullptr && s->certificate_request_dropped && SSL_session_reused(ssl) != 1;
}

// The CA certificates above the leaf of a chain that passed the policy, and the same certificates
// where the client presented them in the session, become the shared copies (same
// content, one parse per process). Only this connection sees its session: the session store keeps
// copies, and hands out copies.
void resumption_policy::share_ca_copies(SSL* ssl) const {
  const peer_verdict* verdict = certificate_policy::attached(ssl);
  STACK_OF(X509)* verified = SSL_get0_verified_chain(ssl);
  if (verdict == nullptr || verdict->reason != errc::ok || verified == nullptr) return;
  const auto share = [](STACK_OF(X509)* stack, int i, X509* shared) {
    X509* own = sk_X509_value(stack, i);
    if (shared == nullptr || shared == own) return;
    X509_up_ref(shared);
    sk_X509_set(stack, i, shared);
    X509_free(own);
  };
  for (int i = 1; i < sk_X509_num(verified); ++i) share(verified, i, interner_->intern(sk_X509_value(verified, i)));
  STACK_OF(X509)* presented = SSL_get_peer_cert_chain(ssl);
  if (presented == nullptr) return;
  for (int i = 0; i < sk_X509_num(presented); ++i) {
    X509* cert = sk_X509_value(presented, i);
    if (cert == SSL_get0_peer_certificate(ssl)) continue;  // the leaf stays the session's own
    // Only certificates already taken in from a verified chain: nothing a client merely presents.
    for (int j = 1; j < sk_X509_num(verified); ++j) {
      if (X509_cmp(sk_X509_value(verified, j), cert) == 0) {
        share(presented, i, sk_X509_value(verified, j));
        break;
      }
    }
  }
}

void resumption_policy::release_handshake_state(SSL* ssl) {
  if (ssl == nullptr || SSL_is_init_finished(ssl) != 1) return;
  const resumption_policy* installed = installed_on(SSL_get_SSL_CTX(ssl));
  if (installed == nullptr) return;
  const resumption_policy& self = *installed;
  if (connection_state* s = state(ssl, false)) {
    std::string().swap(s->resumed_appdata);
    std::string().swap(s->refused);
  }
  // Every ticket this connection hands out was built inside the handshake; nothing reads the identity
  // data afterwards (verified_at and verified_chain use verified_at_ms and the parsed chain).
  if (SSL_SESSION* session = SSL_get_session(ssl)) SSL_SESSION_set1_ticket_appdata(session, nullptr, 0);
  self.share_ca_copies(ssl);
}

int resumption_policy::remember(SSL* ssl, SSL_SESSION* session) {
  // OpenSSL's reference is never taken over (always 0): the store keeps a copy of its own, so an
  // exception halfway cannot free the session twice.
  try {
    const resumption_policy* installed = installed_on(SSL_get_SSL_CTX(ssl));
    if (installed == nullptr || !installed->store_ || session == nullptr) return 0;
    const resumption_policy& self = *installed;
    unsigned int id_length = 0;
    const unsigned char* id_bytes = SSL_SESSION_get_id(session, &id_length);
    const auto id = session_store::id_of(id_bytes, id_length);
    if (!id) return 0;
    const auto now = unix_ms(self.now_());
    stored_session stored;
    if (const connection_state* s = state(ssl, false); s != nullptr && s->verified_at_ms && s->chain &&
                                                       SSL_get0_verified_chain(ssl) == nullptr) {
      // Resumed: the identity and verdict it was admitted with, the first verification time kept.
      stored.verified_at_ms = *s->verified_at_ms;
      stored.chain = s->chain;
    } else {
      const peer_verdict* verdict = certificate_policy::attached(ssl);
      STACK_OF(X509)* verified = SSL_get0_verified_chain(ssl);
      X509* leaf = SSL_SESSION_get0_peer(session);
      if (verdict == nullptr || verdict->reason != errc::ok || !verdict->certificate_presented || verified == nullptr ||
          sk_X509_num(verified) < 1 || leaf == nullptr || sk_X509_num(verified) - 1 > static_cast<int>(max_chain_certificates)) {
        return 0;  // nothing verified: the ticket the client got can never resume
      }
      // Before the copy is made, so that the stored copy holds the shared CA certificates too.
      self.share_ca_copies(ssl);
      std::vector<x509_ptr> chain;
      for (int i = 1; i < sk_X509_num(verified); ++i) chain.push_back(up_ref(sk_X509_value(verified, i)));
      stored.verified_at_ms = now;
      stored.chain = make_verified_chain(leaf, std::move(chain), now + self.cache_->ttl().count());
      if (!stored.chain) return 0;
    }
    // A copy, not the connection's own object: OpenSSL marks a connection's session unresumable when
    // the connection ends without close_notify (clients often just close), which TLS 1.1 and later
    // allow to resume (RFC 5246 7.2.1), as a ticket would.
    stored.session.reset(SSL_SESSION_dup(session));
    if (!stored.session) return 0;
    self.store_->insert(*id, std::move(stored), now);
    return 0;
  } catch (...) {
    ERR_clear_error();
    return 0;
  }
}

SSL_SESSION* resumption_policy::recall(SSL* ssl, const unsigned char* id_bytes, int id_length, int* copy) {
  // The reference returned is handed to OpenSSL (*copy = 0).
  *copy = 0;
  try {
    const resumption_policy* installed = installed_on(SSL_get_SSL_CTX(ssl));
    if (installed == nullptr || !installed->store_ || id_length < 0) return nullptr;
    const resumption_policy& self = *installed;
    connection_state* s = state(ssl, true);
    if (s == nullptr) return nullptr;
    const auto id = session_store::id_of(id_bytes, static_cast<std::size_t>(id_length));
    const auto now = unix_ms(self.now_());
    // TLS 1.3 tickets are used once (the resumed connection gets a new one); TLS 1.2 ids are reused.
    const bool single_use = SSL_version(ssl) == TLS1_3_VERSION;
    std::optional<stored_session> stored;
    if (id) stored = single_use ? self.store_->take(*id, now) : self.store_->find(*id, now);
    if (!stored || SSL_SESSION_is_resumable(stored->session.get()) != 1) {
      s->refused = "the session is not in this process's session cache (unknown, altered, already used or "
                   "evicted; configure tls.session_tickets.key_files to resume across instances and restarts)";
      return nullptr;
    }
    if (auto why = self.admit_stored(ssl, *stored)) {
      s->refused = std::move(*why);
      s->verified_at_ms.reset();
      s->chain.reset();
      if (id && !single_use) self.store_->erase(*id);
      return nullptr;
    }
    s->refused.clear();
    drop_certificate_request(ssl, stored->session.get(), *s);
    // A TLS 1.2 session stays in the store: this connection gets a copy of its own (see remember()).
    return single_use ? stored->session.release() : SSL_SESSION_dup(stored->session.get());
  } catch (...) {
    ERR_clear_error();
    return nullptr;
  }
}

}  // namespace cba::tls
