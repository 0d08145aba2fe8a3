#pragma once
// Knows every open client connection so shutdown can be a protocol: close the idle ones at once, let
// the busy ones finish their request (bounded), then close the rest.

#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>

namespace cba {

class connection_tracker {
 public:
  // `close` must be safe to call from any thread (it posts to the session's executor).
  void add(std::uint64_t id, std::function<void()> close);
  void remove(std::uint64_t id);
  void set_busy(std::uint64_t id, bool busy);
  // Closes idle connections now; busy ones close when their request ends (see draining()).
  void begin_drain();
  bool draining() const;
  void close_all();
  std::size_t size() const;

 private:
  struct entry {
    std::function<void()> close;
    bool busy = false;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, entry> open_;
  bool draining_ = false;
};

}  // namespace cba
