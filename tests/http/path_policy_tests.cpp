#include "proxy/http/path_policy.hpp"

#include <catch2/catch.hpp>

#include <string>

using cba::errc;
using cba::http::check_request_path;
using cba::http::path_of;

TEST_CASE("path_of stops at the query", "[http][path]") {
  CHECK(path_of("/owa/?ae=Item&t=IPM.Note") == "/owa/");
  CHECK(path_of("/Microsoft-Server-ActiveSync?Cmd=Sync&User=alice") == "/Microsoft-Server-ActiveSync");
  CHECK(path_of("/") == "/");
  CHECK(path_of("/a?b?c") == "/a");
}

TEST_CASE("ordinary Exchange paths pass", "[http][path]") {
  for (std::string_view ok : {
           "/", "*", "/owa", "/owa/", "/OWA/auth/logon.aspx?url=https%3a%2f%2fmail%2fowa%2f&reason=0",
           "/Microsoft-Server-ActiveSync?Cmd=Sync&User=alice&DeviceId=abc&DeviceType=iPhone",
           "/Microsoft-Server-ActiveSync?jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l",  // base64 query form
           "/mapi/emsmdb/?MailboxId=0b1c@example.test", "/EWS/Exchange.asmx", "/owa/prem/15.2.1118.7/scripts/boot.js",
           "/owa/file%20name.txt", "/owa/caf%C3%A9", "/owa/x.y/.well-known/..a/...b", "/a/b?x=/../%2e%2f;\\",
       }) {
    CAPTURE(ok);
    const auto v = check_request_path(ok);
    CHECK(v.ok());
    CHECK(v.detail.empty());
  }
}

TEST_CASE("paths an upstream could normalise differently are refused", "[http][path]") {
  struct row {
    std::string text;
    std::string_view detail;
  };
  using namespace std::string_literals;
  const row rows[] = {
      {"/public/../owa/", "dot-segment"},
      {"/public/./owa", "dot-segment"},
      {"/owa/..", "dot-segment"},
      {"/owa/.", "dot-segment"},
      {"/..", "dot-segment"},
      {"/owa/..?x", "dot-segment"},
      {"/public/%2e%2e/owa", "percent-encoded '.'"},
      {"/public/%2E./owa", "percent-encoded '.'"},
      {"/public/.%2e/owa", "percent-encoded '.'"},
      {"/public%2fowa", "percent-encoded '/'"},
      {"/public%2Fowa", "percent-encoded '/'"},
      {"/public%5cowa", "percent-encoded '\\'"},
      {"/public%5C..%5Cowa", "percent-encoded '\\'"},
      {"/public/%252e%252e/owa", "double encoding"},
      {"/public\\..\\owa", "backslash"},
      {"/owa;jsessionid=1/admin", "';'"},
      {"/owa%3b/admin", "';'"},
      {"//owa", "empty path segment"},
      {"/public//owa", "empty path segment"},
      {"/owa/%00", "control"},
      {"/owa/%0d%0a", "control"},
      {"/owa/%7f", "control"},
      {"/owa/\x01", "control"},
      {"/owa/\0x"s, "control"},
      {"/owa/a b", "space"},
      {"/owa/#frag", "fragment"},
      {"/owa/\xc3\xa9", "non-ASCII"},
      {"/owa/%", "malformed"},
      {"/owa/%2", "malformed"},
      {"/owa/%zz", "malformed"},
      {"/owa/%u002e%u002e/", "malformed"},
      {"/public/%c0%ae%c0%ae/owa", "UTF-8"},
      {"/public/%e0%80%ae/owa", "UTF-8"},
      {"/public/%c0%af", "UTF-8"},
      {"/x/%ff", "UTF-8"},
      {"/x/%c3", "UTF-8"},
      {"/x/%ed%a0%80", "UTF-8"},  // UTF-16 surrogate
      {"/owa./x", "ending in '.'"},
      {"/owa../", "ending in '.'"},
      {"/owa/...", "ending in '.'"},
      {"/owa%20/x", "ending in '.' or space"},
      {"/owa/file.aspx::$DATA", "':'"},
      {"/owa%3a", "':'"},
      {"owa/", "start with"},
      {"", "start with"},
      {"?x", "start with"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    const auto v = check_request_path(r.text);
    CHECK(v.reason == errc::bad_request);
    CHECK(v.detail.find(r.detail) != std::string::npos);
  }
}
