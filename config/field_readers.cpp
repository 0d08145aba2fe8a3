#include "config/field_readers.hpp"

#include "config/units.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace cba::config {

namespace detail {

bool means_off(const node_cursor& at, std::string_view text) {
  if (!at.is_plain_scalar()) return false;
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower == "off" || lower == "false" || lower == "no";
}

std::string allowed_list(const std::string_view* names, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) out += i + 1 == count ? " or " : ", ";
    out += names[i];
  }
  return out;
}

}  // namespace detail

bool read_string(const maybe_node& at, std::string& out, bool allow_empty) {
  if (!at) return false;
  auto text = at->scalar("a string");
  if (!text) return false;
  if (text->empty() && !allow_empty) {
    at->report("must not be empty");
    return false;
  }
  out = std::move(*text);
  return true;
}

bool read_bool(const maybe_node& at, bool& out) {
  if (!at) return false;
  const auto text = at->scalar("true or false");
  if (!text) return false;
  if (*text == "true" || *text == "false") {
    out = *text == "true";
    return true;
  }
  // yaml-cpp's YAML 1.1 reading (yes/no/on/off...), but only for unquoted words.
  bool value = false;
  if (at->is_plain_scalar() && YAML::convert<bool>::decode(at->node(), value)) {
    out = value;
    return true;
  }
  at->report("expected true or false, got \"" + *text + '"');
  return false;
}

bool read_whole_number(const maybe_node& at, std::uint64_t& out, std::uint64_t min, std::uint64_t max) {
  if (!at) return false;
  const auto text = at->scalar("a whole number");
  if (!text) return false;
  const auto parsed_value = parse_whole_number(*text);
  const std::string range = max == std::numeric_limits<std::uint64_t>::max()
                                ? "at least " + std::to_string(min)
                                : "from " + std::to_string(min) + " to " + std::to_string(max);
  if (!parsed_value.value) {
    at->report("expected a whole number " + range + ", got \"" + *text + '"');
    return false;
  }
  if (*parsed_value.value < min || *parsed_value.value > max) {
    at->report("must be " + range + ", got " + *text);
    return false;
  }
  out = *parsed_value.value;
  return true;
}

bool read_duration(const maybe_node& at, duration& out, duration min) {
  if (!at) return false;
  const auto text = at->scalar("a duration like 500ms, 30s, 65m or 2h");
  if (!text) return false;
  const auto parsed_value = parse_duration(*text);
  if (!parsed_value.value) {
    at->report(parsed_value.error);
    return false;
  }
  if (*parsed_value.value < min) {
    at->report(min == duration{1} ? "must be greater than 0"
                                  : "must be at least " + std::to_string(min.count()) + "ms");
    return false;
  }
  out = *parsed_value.value;
  return true;
}

bool read_size(const maybe_node& at, std::uint64_t& out, std::uint64_t min) {
  if (!at) return false;
  const auto text = at->scalar("a size like 49152 or 48KiB");
  if (!text) return false;
  const auto parsed_value = parse_size(*text);
  if (!parsed_value.value) {
    at->report(parsed_value.error);
    return false;
  }
  if (*parsed_value.value < min) {
    at->report(min == 1 ? "must be greater than 0" : "must be at least " + std::to_string(min) + " bytes");
    return false;
  }
  out = *parsed_value.value;
  return true;
}

std::string resolve_path(const std::string& base_dir, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_relative()) p = std::filesystem::path(base_dir) / p;
  return p.lexically_normal().string();
}

bool read_path(const maybe_node& at, std::string& out) {
  std::string text;
  if (!read_string(at, text)) return false;
  out = resolve_path(at->context().base_dir, text);
  return true;
}

bool read_path_list(const maybe_node& at, std::vector<std::string>& out) {
  if (!at) return false;
  std::vector<std::string> values;
  bool ok = at->node().IsSequence();
  for (const auto& item : at->items("a list of paths")) {
    std::string value;
    if (read_path(item, value)) {
      values.push_back(std::move(value));
    } else {
      ok = false;
    }
  }
  if (!ok) return false;
  out = std::move(values);
  return true;
}

bool read_string_list(const maybe_node& at, std::vector<std::string>& out) {
  if (!at) return false;
  std::vector<std::string> values;
  bool ok = at->node().IsSequence();
  for (const auto& item : at->items("a list of strings")) {
    std::string value;
    if (read_string(item, value)) {
      values.push_back(std::move(value));
    } else {
      ok = false;
    }
  }
  if (!ok) return false;
  out = std::move(values);
  return true;
}

}  // namespace cba::config
