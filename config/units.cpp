#include "config/units.hpp"
#include "config/ascii_case.hpp"

#include <array>
#include <cctype>
#include <limits>
#include <utility>

namespace cba::config {
namespace {

constexpr std::string_view duration_form = "expected a duration like 500ms, 30s, 65m or 2h";
constexpr std::string_view size_form = "expected a size like 49152 or 48KiB";

bool is_digit(char c) { return c >= '0' && c <= '9'; }


template <class T>
parsed<T> failure(std::string_view form, std::string_view text, std::string_view why = {}) {
  std::string message(form);
  message += ", got \"";
  message += text;
  message += '"';
  if (!why.empty()) {
    message += " (";
    message += why;
    message += ')';
  }
  return {std::nullopt, std::move(message)};
}

// Splits "48KiB" into 48 and "KiB". Returns a reason when the number part itself is unusable.
struct number_and_unit {
  std::uint64_t number = 0;
  std::string_view unit;
  std::string_view why;  // non-empty: refused
};

number_and_unit split(std::string_view text) {
  number_and_unit r;
  if (text.empty()) {
    r.why = "empty";
    return r;
  }
  if (text.front() == '-') {
    r.why = "must not be negative";
    return r;
  }
  std::size_t i = 0;
  while (i < text.size() && is_digit(text[i])) {
    const auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (r.number > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
      r.why = "too large";
      return r;
    }
    r.number = r.number * 10 + digit;
    ++i;
  }
  if (i == 0) {
    r.why = "no number";
    return r;
  }
  if (i < text.size() && (text[i] == '.' || text[i] == ',')) {
    r.why = "fractions are not allowed; use a smaller unit";
    return r;
  }
  r.unit = text.substr(i);
  return r;
}

}  // namespace

parsed<std::uint64_t> parse_whole_number(std::string_view text) {
  constexpr std::string_view form = "expected a whole number";
  const auto split_result = split(text);
  if (!split_result.why.empty()) return failure<std::uint64_t>(form, text, split_result.why);
  if (!split_result.unit.empty()) return failure<std::uint64_t>(form, text);
  return {split_result.number, {}};
}

parsed<duration> parse_duration(std::string_view text) {
  const auto split_result = split(text);
  if (!split_result.why.empty()) {
    // "no number" and "empty" say nothing the form does not already say.
    const bool obvious = split_result.why == "empty" || split_result.why == "no number";
    return failure<duration>(duration_form, text, obvious ? std::string_view{} : split_result.why);
  }
  static constexpr std::array<std::pair<std::string_view, std::int64_t>, 4> units{
      {{"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 60 * 60 * 1000}}};
  if (split_result.unit.empty()) {
    return failure<duration>(duration_form, text, "a unit is required: ms, s, m or h");
  }
  for (const auto& [name, factor] : units) {
    if (split_result.unit != name) continue;
    const auto max = static_cast<std::uint64_t>(std::numeric_limits<duration::rep>::max() / factor);
    if (split_result.number > max) return failure<duration>(duration_form, text, "too large");
    return {duration{static_cast<duration::rep>(split_result.number) * factor}, {}};
  }
  const std::string unit = ascii_lower(split_result.unit);
  if (unit == "sec" || unit == "secs" || unit == "min" || unit == "mins" || unit == "ms" ||
      unit == "s" || unit == "m" || unit == "h" || unit == "hr" || unit == "hours" ||
      unit == "minutes" || unit == "seconds") {
    return failure<duration>(duration_form, text, "units are ms, s, m and h");
  }
  return failure<duration>(duration_form, text);
}

parsed<std::uint64_t> parse_size(std::string_view text) {
  const auto split_result = split(text);
  if (!split_result.why.empty()) {
    const bool obvious = split_result.why == "empty" || split_result.why == "no number";
    return failure<std::uint64_t>(size_form, text, obvious ? std::string_view{} : split_result.why);
  }
  static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 4> units{
      {{"", 1}, {"KiB", 1024}, {"MiB", 1024 * 1024}, {"GiB", 1024 * 1024 * 1024}}};
  for (const auto& [name, factor] : units) {
    if (split_result.unit != name) continue;
    if (split_result.number > std::numeric_limits<std::uint64_t>::max() / factor) {
      return failure<std::uint64_t>(size_form, text, "too large");
    }
    return {split_result.number * factor, {}};
  }
  // Decimal or wrongly cased units are a common slip; say which binary unit is meant.
  const std::string unit = ascii_lower(split_result.unit);
  if (unit == "k" || unit == "kb" || unit == "kib") {
    return failure<std::uint64_t>(size_form, text, "units are KiB, MiB and GiB (powers of 1024)");
  }
  if (unit == "m" || unit == "mb" || unit == "mib" || unit == "g" || unit == "gb" ||
      unit == "gib" || unit == "b") {
    return failure<std::uint64_t>(size_form, text, "units are KiB, MiB and GiB (powers of 1024)");
  }
  return failure<std::uint64_t>(size_form, text);
}

}  // namespace cba::config
