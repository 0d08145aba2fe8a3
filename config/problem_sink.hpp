#pragma once
// Collects problems for one file, so a whole pass reports every mistake instead of the first.

#include "config/load.hpp"
#include "config/source_map.hpp"

#include <string>
#include <vector>

namespace cba::config {

class problem_sink {
 public:
  problem_sink(std::string file, std::vector<problem>& problems)
      : file_(std::move(file)), problems_(&problems) {}

  void add(position where, std::string key_path, std::string message) const;
  const std::string& file() const { return file_; }
  std::size_t count() const { return problems_->size(); }

 private:
  std::string file_;
  std::vector<problem>* problems_;
};

// Reports at a key path whose position comes from a source_map (checks that run after parsing).
class located_sink {
 public:
  located_sink(const problem_sink& sink, const source_map& positions)
      : sink_(&sink), positions_(&positions) {}
  void add(const std::string& key_path, std::string message) const {
    sink_->add(positions_->find(key_path), key_path, std::move(message));
  }
  bool written(std::string_view key_path) const { return positions_->contains(key_path); }

 private:
  const problem_sink* sink_;
  const source_map* positions_;
};

}  // namespace cba::config
