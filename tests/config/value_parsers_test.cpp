#include "config/address.hpp"
#include "config/header_template.hpp"
#include "config/identity_names.hpp"
#include "config/upstream_url.hpp"

#include <catch2/catch.hpp>

using namespace cba::config;

TEST_CASE("listener addresses are host:port") {
  auto v4 = parse_host_port("0.0.0.0:443");
  REQUIRE(v4.value);
  CHECK(v4.value->host == "0.0.0.0");
  CHECK(v4.value->port == 443);
  auto v6 = parse_host_port("[::]:8443");
  REQUIRE(v6.value);
  CHECK(v6.value->host == "::");
  CHECK(v6.value->port == 8443);
  auto name = parse_host_port("localhost:0");
  REQUIRE(name.value);
  CHECK(name.value->port == 0);
  CHECK(parse_host_port("127.0.0.1:65535").value);
}

TEST_CASE("bad addresses name the problem") {
  CHECK_THAT(parse_host_port("0.0.0.0").error, Catch::Contains("the port is missing"));
  CHECK_THAT(parse_host_port("::1:443").error, Catch::Contains("needs brackets"));
  CHECK_THAT(parse_host_port(":443").error, Catch::Contains("the host is empty"));
  CHECK_THAT(parse_host_port("host:65536").error, Catch::Contains("0 to 65535"));
  CHECK_THAT(parse_host_port("host:").error, Catch::Contains("the port is empty"));
  CHECK_THAT(parse_host_port("host:http").error, Catch::Contains("0 to 65535"));
  CHECK_THAT(parse_host_port("[::1:443").error, Catch::Contains("closing ']'"));
  CHECK_THAT(parse_host_port("[zz]:443").error, Catch::Contains("not an IPv6 address"));
  CHECK_THAT(parse_host_port("a b:1").error, Catch::Contains("not a host name"));
  CHECK_THAT(parse_host_port("").error, Catch::StartsWith("expected host:port like 0.0.0.0:443 or [::]:443"));
}

TEST_CASE("upstream URLs: scheme, host, port") {
  auto https = parse_upstream_url("https://exchange.example.test");
  REQUIRE(https.value);
  CHECK(https.value->https);
  CHECK(https.value->host == "exchange.example.test");
  CHECK(https.value->port == 443);
  auto http = parse_upstream_url("http://127.0.0.1/");
  REQUIRE(http.value);
  CHECK_FALSE(http.value->https);
  CHECK(http.value->port == 80);
  auto v6 = parse_upstream_url("HTTPS://[::1]:8443");
  REQUIRE(v6.value);
  CHECK(v6.value->https);
  CHECK(v6.value->host == "::1");
  CHECK(v6.value->port == 8443);
}

TEST_CASE("upstream URLs refuse paths, userinfo, queries and other schemes") {
  CHECK_THAT(parse_upstream_url("https://h/owa").error, Catch::Contains("a path is not supported"));
  CHECK_THAT(parse_upstream_url("https://u:p@h").error, Catch::Contains("user information"));
  CHECK_THAT(parse_upstream_url("https://h/?a=b").error, Catch::Contains("a query is not allowed"));
  CHECK_THAT(parse_upstream_url("https://h#x").error, Catch::Contains("a fragment is not allowed"));
  CHECK_THAT(parse_upstream_url("ftp://h").error, Catch::Contains("http:// or https://"));
  CHECK_THAT(parse_upstream_url("exchange:443").error, Catch::Contains("http:// or https://"));
  CHECK_THAT(parse_upstream_url("https://").error, Catch::Contains("the host is empty"));
  CHECK_THAT(parse_upstream_url("http://h:0").error, Catch::Contains("port 0"));
  CHECK_THAT(parse_upstream_url("http://h:99999").error, Catch::Contains("0 to 65535"));
}

TEST_CASE("header templates split into literals and fields") {
  auto t = parse_header_template("{upn} via {cert_serial}!");
  REQUIRE(t.value);
  REQUIRE(t.value->size() == 3);
  CHECK((*t.value)[0].literal.empty());
  CHECK((*t.value)[0].field == template_field::upn);
  CHECK((*t.value)[1].literal == " via ");
  CHECK((*t.value)[1].field == template_field::cert_serial);
  CHECK((*t.value)[2].literal == "!");
  CHECK_FALSE((*t.value)[2].field);
  for (const char* f : {"upn", "sam_account_name", "sid", "dn", "cert_sha256", "cert_issuer", "cert_subject",
                        "cert_serial", "cert_rfc9440"}) {
    INFO(f);
    auto one = parse_header_template(std::string("{") + f + "}");
    REQUIRE(one.value);
    REQUIRE(one.value->front().field);
    CHECK(field_name(*one.value->front().field) == f);
  }
  auto literal = parse_header_template("fixed");
  REQUIRE(literal.value);
  REQUIRE(literal.value->size() == 1);
  CHECK(literal.value->front().literal == "fixed");
}

TEST_CASE("bad header templates name the problem") {
  CHECK_THAT(parse_header_template("{mail}").error, Catch::StartsWith("unknown field {mail}; fields are {upn}"));
  CHECK_THAT(parse_header_template("{upn").error, Catch::Contains("no closing '}'"));
  CHECK_THAT(parse_header_template("{up{n}").error, Catch::Contains("no closing '}'"));
  CHECK_THAT(parse_header_template("upn}").error, Catch::Contains("no opening '{'"));
  CHECK_THAT(parse_header_template("{}").error, Catch::Contains("unknown field {}"));
  CHECK_THAT(parse_header_template("a\r\nX-Evil: 1").error, Catch::Contains("control characters"));
}

TEST_CASE("header names: tokens, and not those the proxy owns") {
  CHECK(is_header_token("X-Remote-User"));
  CHECK_FALSE(is_header_token("X Remote"));
  CHECK_FALSE(is_header_token("X:Y"));
  CHECK_FALSE(is_header_token(""));
  CHECK(reserved_header_reason("X-Remote-User").empty());
  for (const char* h : {"connection", "Keep-Alive", "TE", "Trailer", "transfer-encoding", "Upgrade",
                        "Proxy-Authorization", "Host", "content-length"}) {
    INFO(h);
    CHECK_FALSE(reserved_header_reason(h).empty());
  }
}

TEST_CASE("EKU names become dotted OIDs") {
  CHECK(eku_oid("client_auth").value == "1.3.6.1.5.5.7.3.2");
  CHECK(eku_oid("smartcard_logon").value == "1.3.6.1.4.1.311.20.2.2");
  CHECK(eku_oid("server_auth").value == "1.3.6.1.5.5.7.3.1");
  CHECK(eku_oid("1.3.6.1.4.1.99999.1").value == "1.3.6.1.4.1.99999.1");
  for (const char* bad : {"clientAuth", "1", "1.", ".1.2", "1..2", "3.1", "1.02", "1.2.x"}) {
    INFO(bad);
    CHECK_FALSE(eku_oid(bad).value);
  }
}

TEST_CASE("UPN suffixes become lower-case @suffix") {
  CHECK(normalize_upn_suffix("Example.Test").value == "@example.test");
  CHECK(normalize_upn_suffix("@EXAMPLE.test").value == "@example.test");
  CHECK_FALSE(normalize_upn_suffix("@").value);
  CHECK_FALSE(normalize_upn_suffix("a@b").value);
  CHECK_FALSE(normalize_upn_suffix("exa mple.test").value);
}
