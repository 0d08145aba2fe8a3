#include "config/units.hpp"

#include <catch2/catch.hpp>

using namespace cba::config;
using namespace std::chrono_literals;

TEST_CASE("durations take ms, s, m and h") {
  CHECK(parse_duration("500ms").value == duration{500ms});
  CHECK(parse_duration("30s").value == duration{30s});
  CHECK(parse_duration("65m").value == duration{65min});
  CHECK(parse_duration("2h").value == duration{2h});
  CHECK(parse_duration("0s").value == duration{0});
}

TEST_CASE("bad durations are refused with the expected form") {
  for (const char* text : {"", "30", "30 s", "1.5s", "-5s", "5d", "s", "30S", "1h30m", "+5s", "0x10s"}) {
    INFO(text);
    const auto r = parse_duration(text);
    CHECK_FALSE(r.value);
    CHECK_THAT(r.error, Catch::StartsWith("expected a duration like 500ms, 30s, 65m or 2h, got \"" +
                                          std::string(text) + "\""));
  }
  CHECK_THAT(parse_duration("30").error, Catch::Contains("a unit is required"));
  CHECK_THAT(parse_duration("1.5s").error, Catch::Contains("fractions are not allowed"));
  CHECK_THAT(parse_duration("-5s").error, Catch::Contains("must not be negative"));
  CHECK_THAT(parse_duration("30S").error, Catch::Contains("units are ms, s, m and h"));
}

TEST_CASE("durations that overflow are refused") {
  CHECK_THAT(parse_duration("9223372036854775808ms").error, Catch::Contains("too large"));
  CHECK_THAT(parse_duration("99999999999999999999ms").error, Catch::Contains("too large"));
  CHECK_THAT(parse_duration("2562047788015216h").error, Catch::Contains("too large"));
  CHECK(parse_duration("2562047788015h").value.has_value());
}

TEST_CASE("sizes take bytes, KiB, MiB and GiB") {
  CHECK(parse_size("49152").value == 49152U);
  CHECK(parse_size("0").value == 0U);
  CHECK(parse_size("48KiB").value == 48U * 1024);
  CHECK(parse_size("35MiB").value == 35U * 1024 * 1024);
  CHECK(parse_size("1GiB").value == 1024ULL * 1024 * 1024);
  CHECK(parse_size("18446744073709551615").value == 18446744073709551615ULL);
}

TEST_CASE("bad sizes are refused with the expected form") {
  const auto r = parse_size("48 kilobytes");
  CHECK_FALSE(r.value);
  CHECK(r.error == "expected a size like 49152 or 48KiB, got \"48 kilobytes\"");
  for (const char* text : {"", "-1", "1.5MiB", "48KB", "48kib", "48k", "10TiB", "KiB", "48 KiB"}) {
    INFO(text);
    const auto s = parse_size(text);
    CHECK_FALSE(s.value);
    CHECK_THAT(s.error, Catch::StartsWith("expected a size like 49152 or 48KiB, got \"" + std::string(text) + "\""));
  }
  CHECK_THAT(parse_size("-1").error, Catch::Contains("must not be negative"));
  CHECK_THAT(parse_size("1.5MiB").error, Catch::Contains("fractions are not allowed"));
  CHECK_THAT(parse_size("48KB").error, Catch::Contains("powers of 1024"));
  CHECK_THAT(parse_size("18446744073709551616").error, Catch::Contains("too large"));
  CHECK_THAT(parse_size("17179869184GiB").error, Catch::Contains("too large"));
}

TEST_CASE("whole numbers are decimal digits only") {
  CHECK(parse_whole_number("100").value == 100U);
  CHECK_FALSE(parse_whole_number("1e3").value);
  CHECK_FALSE(parse_whole_number("-3").value);
  CHECK_FALSE(parse_whole_number("").value);
  CHECK_FALSE(parse_whole_number("0x10").value);
}
