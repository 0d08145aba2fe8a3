#include "config/yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <numeric>

namespace cba::config {

position to_position(const YAML::Mark& mark, position fallback) {
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return fallback;
  return {mark.line + 1, mark.column + 1};
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return '"' + node.Scalar() + '"';
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

node_cursor::node_cursor(YAML::Node node, std::string key_path, position where, reader_context& context)
    : node_(std::move(node)), key_path_(std::move(key_path)), where_(where), context_(&context) {
  context_->positions.record(key_path_, where_);
}

void node_cursor::report(std::string message) const {
  context_->sink.add(where_, key_path_, std::move(message));
}

std::optional<std::string> node_cursor::scalar(std::string_view what) const {
  if (node_.IsScalar()) return node_.Scalar();
  report("expected " + std::string(what) + ", got " + describe(node_));
  return std::nullopt;
}

bool node_cursor::is_plain_scalar() const { return node_.IsScalar() && node_.Tag() == "?"; }

std::vector<node_cursor> node_cursor::items(std::string_view what) const {
  std::vector<node_cursor> out;
  if (!node_.IsSequence()) {
    report("expected " + std::string(what) + ", got " + describe(node_));
    return out;
  }
  std::size_t index = 0;
  for (const auto& item : node_) {
    out.emplace_back(item, key_path_ + '[' + std::to_string(index) + ']',
                     to_position(item.Mark(), where_), *context_);
    ++index;
  }
  return out;
}

map_cursor::map_cursor(const node_cursor& node) : self_(node) {
  if (!node.node().IsMap()) {
    node.report("expected a mapping of keys, got " + describe(node.node()));
    return;
  }
  valid_ = true;
  // Copies, not references: yaml-cpp's iterators hand out temporaries.
  for (const auto& key_value : node.node()) {
    const YAML::Node key = key_value.first;
    raw_entry e{key.IsScalar() ? key.Scalar() : describe(key), to_position(key.Mark(), node.where()),
                key_value.second};
    const auto previous = std::find_if(entries_.begin(), entries_.end(),
                                       [&](const raw_entry& other) { return other.key == e.key; });
    if (previous != entries_.end()) {
      node.context().sink.add(e.key_at,
                              self_.key_path().empty() ? e.key : self_.key_path() + '.' + e.key,
                              "duplicate key '" + e.key + "' (first written at line " +
                                  std::to_string(previous->key_at.line) + ")");
      continue;
    }
    entries_.push_back(std::move(e));
  }
}

node_cursor map_cursor::make_child(raw_entry& e) {
  e.used = true;
  // An empty value (`key:`) has no useful mark of its own: point at the key.
  const position where =
      e.value.IsNull() ? e.key_at : to_position(e.value.Mark(), e.key_at);
  std::string path = self_.key_path().empty() ? e.key : self_.key_path() + '.' + e.key;
  return node_cursor(e.value, std::move(path), where, self_.context());
}

std::optional<node_cursor> map_cursor::get(std::string_view key) {
  known_.emplace_back(key);
  for (auto& e : entries_) {
    if (e.key == key) return make_child(e);
  }
  return std::nullopt;
}

std::optional<node_cursor> map_cursor::require(std::string_view key) {
  auto found = get(key);
  if (!found && valid_) {
    std::string path = self_.key_path().empty() ? std::string(key) : self_.key_path() + '.' + std::string(key);
    self_.context().sink.add(self_.where(), std::move(path), "required, but missing");
  }
  return found;
}

std::vector<map_cursor::entry> map_cursor::entries() {
  std::vector<entry> out;
  for (auto& e : entries_) {
    known_.push_back(e.key);
    out.push_back(entry{e.key, e.key_at, make_child(e)});
  }
  return out;
}

void map_cursor::finish() const {
  for (const auto& e : entries_) {
    if (e.used) continue;
    std::string message = "unknown key '" + e.key + "'";
    if (const auto hint = closest_match(e.key, known_); !hint.empty()) {
      message += "; did you mean '" + hint + "'?";
    } else if (!known_.empty()) {
      std::vector<std::string> sorted = known_;
      std::sort(sorted.begin(), sorted.end());
      sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
      message += "; expected one of: ";
      for (std::size_t i = 0; i < sorted.size(); ++i) message += (i ? ", " : "") + sorted[i];
    }
    self_.context().sink.add(e.key_at, self_.key_path().empty() ? e.key : self_.key_path() + '.' + e.key,
                             std::move(message));
  }
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const auto ca = std::tolower(static_cast<unsigned char>(a[i - 1]));
      const auto cb = std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (ca == cb ? 0U : 1U)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    const auto d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

}  // namespace cba::config
