#include "proxy/tls/session_store.hpp"

#include "proxy/tls/insertion_order_eviction.hpp"

#include <algorithm>
#include <cstring>

namespace cba::tls {

session_store::session_store(std::size_t capacity, std::chrono::milliseconds lifetime)
    : capacity_(std::max<std::size_t>(1, capacity)), lifetime_(lifetime) {}

std::optional<session_store::session_id> session_store::id_of(const unsigned char* id, std::size_t length) {
  session_id out{};
  if (id == nullptr || length != out.size()) return std::nullopt;
  std::memcpy(out.data(), id, out.size());
  return out;
}

void session_store::insert(const session_id& id, stored_session entry, std::int64_t now_ms) {
  if (!entry.session) return;
  const std::lock_guard lock(mutex_);
  evict(now_ms);
  const std::int64_t leaves = now_ms + lifetime_.count();
  order_.emplace_back(id, leaves);
  slots_.insert_or_assign(id, slot{std::move(entry), leaves});
}

session_store::slot* session_store::live(const session_id& id, std::int64_t now_ms) {
  const auto it = slots_.find(id);
  if (it == slots_.end()) return nullptr;
  if (it->second.leaves_ms <= now_ms) {
    slots_.erase(it);
    return nullptr;
  }
  return &it->second;
}

std::optional<stored_session> session_store::take(const session_id& id, std::int64_t now_ms) {
  std::optional<stored_session> out;
  const std::lock_guard lock(mutex_);
  if (slot* found = live(id, now_ms)) {
    out = std::move(found->entry);
    slots_.erase(id);
  }
  return out;
}

std::optional<stored_session> session_store::find(const session_id& id, std::int64_t now_ms) {
  const std::lock_guard lock(mutex_);
  slot* found = live(id, now_ms);
  if (found == nullptr) return std::nullopt;
  return stored_session{up_ref(found->entry.session.get()), found->entry.verified_at_ms, found->entry.chain};
}

void session_store::erase(const session_id& id) {
  const std::lock_guard lock(mutex_);
  slots_.erase(id);
}

std::size_t session_store::size() const {
  const std::lock_guard lock(mutex_);
  return slots_.size();
}

// An id stored again later keeps that newer slot; one already taken is simply gone.
void session_store::evict(std::int64_t now_ms) {
  evict_in_insertion_order(slots_, order_, capacity_, now_ms, [](const slot& s) { return s.leaves_ms; });
}

}  // namespace cba::tls
