#include "proxy/connection_tracker.hpp"

#include <vector>

namespace cba {

void connection_tracker::add(std::uint64_t id, std::function<void()> close) {
  std::lock_guard lock(mutex_);
  open_.emplace(id, entry{std::move(close), false});
}

void connection_tracker::remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  open_.erase(id);
}

void connection_tracker::set_busy(std::uint64_t id, bool busy) {
  std::function<void()> close_now;
  {
    std::lock_guard lock(mutex_);
    auto it = open_.find(id);
    if (it == open_.end()) return;
    it->second.busy = busy;
    if (draining_ && !busy) close_now = it->second.close;
  }
  if (close_now) close_now();
}

void connection_tracker::begin_drain() {
  std::vector<std::function<void()>> idle;
  {
    std::lock_guard lock(mutex_);
    draining_ = true;
    for (auto& [id, e] : open_)
      if (!e.busy) idle.push_back(e.close);
  }
  for (auto& close : idle) close();
}

bool connection_tracker::draining() const {
  std::lock_guard lock(mutex_);
  return draining_;
}

void connection_tracker::close_all() {
  std::vector<std::function<void()>> all;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, e] : open_) all.push_back(e.close);
  }
  for (auto& close : all) close();
}

std::size_t connection_tracker::size() const {
  std::lock_guard lock(mutex_);
  return open_.size();
}

}  // namespace cba
