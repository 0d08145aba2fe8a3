#pragma once
// Typed reads of one config value. Every reader does nothing when the key is absent (the default
// stays), reports a problem and leaves `out` unchanged when the value is wrong, and returns true only
// when it assigned `out`.

#include "config/config.hpp"
#include "config/yaml_reader.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cba::config {

using maybe_node = std::optional<node_cursor>;

bool read_string(const maybe_node& at, std::string& out, bool allow_empty = false);
bool read_bool(const maybe_node& at, bool& out);
bool read_whole_number(const maybe_node& at, std::uint64_t& out, std::uint64_t min, std::uint64_t max);
bool read_duration(const maybe_node& at, duration& out, duration min = duration{1});
bool read_size(const maybe_node& at, std::uint64_t& out, std::uint64_t min = 1);
// A file path; relative ones are resolved against the config file's folder.
bool read_path(const maybe_node& at, std::string& out);
bool read_path_list(const maybe_node& at, std::vector<std::string>& out);
bool read_string_list(const maybe_node& at, std::vector<std::string>& out);

// An absolute, lexically normal path.
std::string resolve_path(const std::string& base_dir, const std::string& path);

template <class T>
bool read_number(const maybe_node& at, T& out, T min, T max = std::numeric_limits<T>::max()) {
  std::uint64_t value = 0;
  if (!read_whole_number(at, value, static_cast<std::uint64_t>(min), static_cast<std::uint64_t>(max))) {
    return false;
  }
  out = static_cast<T>(value);
  return true;
}

template <class E>
struct enum_name {
  std::string_view name;
  E value;
};

namespace detail {
// YAML 1.1 reads a bare `off` (and `no`, `false`) as false; an enum with an "off" value accepts them.
bool means_off(const node_cursor& at, std::string_view text);
std::string allowed_list(const std::string_view* names, std::size_t count);
}  // namespace detail

template <class E, std::size_t N>
std::string enum_names(const std::array<enum_name<E>, N>& names) {
  std::array<std::string_view, N> list{};
  for (std::size_t i = 0; i < N; ++i) list[i] = names[i].name;
  return detail::allowed_list(list.data(), N);
}

template <class E, std::size_t N>
std::optional<E> enum_value(const node_cursor& at, const std::array<enum_name<E>, N>& names) {
  const auto text = at.scalar("one of " + enum_names(names));
  if (!text) return std::nullopt;
  for (const auto& n : names) {
    if (n.name == *text) return n.value;
  }
  for (const auto& n : names) {
    if (n.name == "off" && detail::means_off(at, *text)) return n.value;
  }
  at.report("expected one of " + enum_names(names) + ", got \"" + *text + '"');
  return std::nullopt;
}

template <class E, std::size_t N>
bool read_enum(const maybe_node& at, E& out, const std::array<enum_name<E>, N>& names) {
  if (!at) return false;
  const auto value = enum_value(*at, names);
  if (!value) return false;
  out = *value;
  return true;
}

template <class E, std::size_t N>
bool read_enum_list(const maybe_node& at, std::vector<E>& out, const std::array<enum_name<E>, N>& names) {
  if (!at) return false;
  std::vector<E> values;
  bool ok = true;
  for (const auto& item : at->items("a list")) {
    const auto value = enum_value(item, names);
    ok = ok && value.has_value();
    if (value) values.push_back(*value);
  }
  if (!ok || !at->node().IsSequence()) return false;
  out = std::move(values);
  return true;
}

}  // namespace cba::config
