#include "proxy/json_line.hpp"

#include <catch2/catch.hpp>

TEST_CASE("json lines escape what could break a line or a parser") {
  cba::json_line line;
  line.add("subject", "CN=\"Eve\"\r\n{\"forged\":1}\\").add("n", 42).add("ok", true);
  const auto text = line.str();
  CHECK(text == R"({"subject":"CN=\"Eve\"\r\n{\"forged\":1}\\","n":42,"ok":true})");
  CHECK(text.find('\n') == std::string::npos);
}

TEST_CASE("json lines encode control characters and skip empty optional fields") {
  cba::json_line line;
  line.add("v", std::string_view("a\0b\x1f\x7f", 5)).add_if("empty", "").add_if("set", "x");
  CHECK(line.str() == R"({"v":"a\u0000b\u001f\u007f","set":"x"})");
}
