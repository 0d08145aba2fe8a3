#pragma once
// A cursor over yaml-cpp nodes that knows its key path ("listeners[0].tls.min_version") and its
// line:column, so every problem names its place. Mapping readers remember which keys the parser asked
// for; the ones nobody asked for are reported as unknown (with a "did you mean" when one is close).

#include "config/problem_sink.hpp"
#include "config/source_map.hpp"

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cba::config {

struct reader_context {
  problem_sink sink;
  source_map positions;  // every node a cursor visited
  std::string base_dir;  // relative paths are resolved against it
};

// yaml-cpp marks are 0-based; ours are 1-based. A null mark yields `fallback`.
position to_position(const YAML::Mark& mark, position fallback = {});

// "a list", "a mapping", "nothing", or the scalar quoted: used in "expected X, got Y".
std::string describe(const YAML::Node& node);

class node_cursor {
 public:
  node_cursor(YAML::Node node, std::string key_path, position where, reader_context& context);

  const YAML::Node& node() const { return node_; }
  const std::string& key_path() const { return key_path_; }
  position where() const { return where_; }
  reader_context& context() const { return *context_; }

  void report(std::string message) const;

  // The scalar's text, or nullopt after reporting "expected <what>, got <describe(node)>".
  std::optional<std::string> scalar(std::string_view what) const;
  // Unquoted scalars are where YAML 1.1 reads `off`/`no` as booleans.
  bool is_plain_scalar() const;
  // The items of a list, or nothing after reporting "expected <what>, got ...".
  std::vector<node_cursor> items(std::string_view what) const;

 private:
  YAML::Node node_;
  std::string key_path_;
  position where_;
  reader_context* context_;
};

class map_cursor {
 public:
  struct entry {
    std::string key;
    position key_at;
    node_cursor value;
  };

  // Reports "expected a mapping" when the node is something else; then every lookup finds nothing.
  explicit map_cursor(const node_cursor& node);
  map_cursor(const map_cursor&) = delete;
  map_cursor& operator=(const map_cursor&) = delete;

  bool valid() const { return valid_; }
  const node_cursor& self() const { return self_; }

  // The value of `key`, if written. Either way `key` becomes a known key.
  std::optional<node_cursor> get(std::string_view key);
  // Same, and reports "required, but missing" (at this mapping) when absent.
  std::optional<node_cursor> require(std::string_view key);
  // Every entry in file order (for free-form mappings such as header names); all become known.
  std::vector<entry> entries();
  // Reports each key no get/require/entries asked for.
  void finish() const;

 private:
  struct raw_entry {
    std::string key;
    position key_at;
    YAML::Node value;
    bool used = false;
  };
  node_cursor make_child(raw_entry& e);

  node_cursor self_;
  bool valid_ = false;
  std::vector<raw_entry> entries_;
  std::vector<std::string> known_;
};

// The closest of `candidates` to `word` when it is plausibly a typo of it; empty otherwise.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace cba::config
