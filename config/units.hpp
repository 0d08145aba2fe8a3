#pragma once
// Durations (`500ms`, `30s`, `65m`, `2h`) and sizes (`49152`, `48KiB`, `35MiB`, `1GiB`) as written in
// the config file. Whole numbers only: a fraction, a sign, a space or an unknown unit is refused with a
// message naming the expected form, so a typo never turns into a surprising limit.

#include "config/config.hpp"
#include "config/parsed.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cba::config {

// Units: ms, s, m, h. A bare number is refused (is `30` seconds or milliseconds?).
parsed<duration> parse_duration(std::string_view text);

// A bare number is bytes; units KiB (1024), MiB, GiB.
parsed<std::uint64_t> parse_size(std::string_view text);

// "49152" -> 49152. Decimal digits only (no sign, no 0x); used for counts.
parsed<std::uint64_t> parse_whole_number(std::string_view text);

}  // namespace cba::config
