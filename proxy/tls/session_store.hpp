#pragma once
// The listener's in-memory TLS sessions, used when no ticket key files are configured.
//
// Without key files a ticket can only ever resume in the process that issued it (its key is random and
// dies with the process). Keeping the session here instead, and handing the client only its 32-byte
// id as the ticket (TLS 1.3 stateful tickets, TLS 1.2 session ids), resumes in exactly the same cases
// without encrypting the session, its client certificate and the verified chain into every ticket and
// decoding them again on every resumption: OpenSSL 3.0 spends about a third of a resumption decoding the
// ticket's certificate. The store keeps a copy of the connection's SSL_SESSION (certificates shared by
// reference, ~1.4 KiB with the entry): OpenSSL marks a connection's own session unresumable when the
// connection ends without close_notify, which clients often do and TLS 1.1 and later allow to resume.
//
// The store only keeps and finds; resumption_policy decides whether a found session may resume (its
// verification time, the certificate policy) exactly as it does for a ticket. TLS 1.3 sessions are taken
// out when offered (single use, RFC 8446 C.4: the resumed connection gets a new one); TLS 1.2 session ids
// stay until they expire. Bounded: every entry leaves `lifetime` after it was stored (trust.recheck_interval
// and a minute: it could not resume any later), and past `capacity` the oldest entry leaves first.
// Thread-safe (one mutex, a hash lookup under it).
#include "proxy/tls/ossl.hpp"
#include "proxy/tls/random_bytes_hash.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace cba::tls {

struct verified_ticket_chain;

// What a stored session resumes with: the identity a full handshake verified.
struct stored_session {
  ssl_session_ptr session;
  std::int64_t verified_at_ms = 0;                     // unix ms of that full handshake
  std::shared_ptr<const verified_ticket_chain> chain;  // the verified chain above the leaf, and its verdict
};

class session_store {
 public:
  using session_id = std::array<unsigned char, SSL_MAX_SSL_SESSION_ID_LENGTH>;

  session_store(std::size_t capacity, std::chrono::milliseconds lifetime);
  session_store(const session_store&) = delete;
  session_store& operator=(const session_store&) = delete;

  // The id OpenSSL gave `session`, nullopt when it is not a full-length one (nothing is stored then).
  static std::optional<session_id> id_of(const unsigned char* id, std::size_t length);

  void insert(const session_id& id, stored_session entry, std::int64_t now_ms);
  // The entry, taken out of the store (TLS 1.3: a session resumes once).
  std::optional<stored_session> take(const session_id& id, std::int64_t now_ms);
  // A copy of the entry (a new reference to the session), left in the store (TLS 1.2).
  std::optional<stored_session> find(const session_id& id, std::int64_t now_ms);
  void erase(const session_id& id);

  std::size_t size() const;

 private:
  struct slot {
    stored_session entry;
    std::int64_t leaves_ms = 0;
  };
  void evict(std::int64_t now_ms);  // under mutex_
  // The live slot for `id`, erasing it first when its time is up (under mutex_).
  slot* live(const session_id& id, std::int64_t now_ms);

  const std::size_t capacity_;
  const std::chrono::milliseconds lifetime_;
  mutable std::mutex mutex_;
  std::unordered_map<session_id, slot, random_bytes_hash> slots_;  // ids are random bytes
  std::deque<std::pair<session_id, std::int64_t>> order_;  // (id, leaves_ms) in insertion order
};

}  // namespace cba::tls
