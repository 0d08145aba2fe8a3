#include "config/header_template.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace cba::config {
namespace {

constexpr std::array<std::pair<std::string_view, template_field>, 9> fields{{
    {"upn", template_field::upn},
    {"sam_account_name", template_field::sam_account_name},
    {"sid", template_field::sid},
    {"dn", template_field::dn},
    {"cert_sha256", template_field::cert_sha256},
    {"cert_issuer", template_field::cert_issuer},
    {"cert_subject", template_field::cert_subject},
    {"cert_serial", template_field::cert_serial},
    {"cert_rfc9440", template_field::cert_rfc9440},
}};

std::string field_list() {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += ' ';
    out += '{' + std::string(name) + '}';
  }
  return out;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string_view field_name(template_field field) {
  for (const auto& [name, value] : fields) {
    if (value == field) return name;
  }
  return {};
}

parsed<std::vector<template_segment>> parse_header_template(std::string_view text) {
  const auto fail = [](std::string why) { return parsed<std::vector<template_segment>>{std::nullopt, std::move(why)}; };
  std::vector<template_segment> out;
  std::string literal;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) {
      return fail("control characters (CR, LF, NUL...) are not allowed in a header value");
    }
    if (c == '}') return fail("'}' at offset " + std::to_string(i) + " has no opening '{'");
    if (c != '{') {
      literal += c;
      continue;
    }
    const auto close = text.find_first_of("{}", i + 1);
    if (close == std::string_view::npos || text[close] == '{') {
      return fail("'{' at offset " + std::to_string(i) + " has no closing '}'");
    }
    const auto name = text.substr(i + 1, close - i - 1);
    const auto found = std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == name; });
    if (found == fields.end()) {
      return fail("unknown field {" + std::string(name) + "}; fields are " + field_list());
    }
    out.push_back(template_segment{std::move(literal), found->second});
    literal.clear();
    i = close;
  }
  if (!literal.empty() || out.empty()) out.push_back(template_segment{std::move(literal), std::nullopt});
  return {std::move(out), {}};
}

bool is_header_token(std::string_view name) {
  constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || specials.find(c) != std::string_view::npos;
  });
}

std::string reserved_header_reason(std::string_view name) {
  constexpr std::array<std::string_view, 10> hop_by_hop{"Connection", "Keep-Alive", "Proxy-Connection",
                                                        "TE", "Trailer", "Transfer-Encoding", "Upgrade",
                                                        "Proxy-Authenticate", "Proxy-Authorization",
                                                        "HTTP2-Settings"};
  for (const auto h : hop_by_hop) {
    if (equals_ignore_case(name, h)) return std::string(h) + " is a hop-by-hop header the proxy manages";
  }
  if (equals_ignore_case(name, "Host")) return "Host is preserved from the client request";
  if (equals_ignore_case(name, "Content-Length")) return "Content-Length describes the body the proxy relays";
  return {};
}

std::string identity_header_set_problem(std::string_view raw_name) {
  // CGI-style servers read '_' as '-' (HTTP_X_FORWARDED_FOR), so compare in that form.
  std::string name(raw_name);
  std::replace(name.begin(), name.end(), '_', '-');
  if (auto reason = reserved_header_reason(name); !reason.empty()) return reason;
  constexpr std::array<std::string_view, 9> edge_owned{
      "Authorization",      "Forwarded", "X-Forwarded-For",    "X-Forwarded-Proto", "X-Forwarded-Host",
      "X-Forwarded-Port", "X-Forwarded-Server", "X-Real-IP", "Expect"};
  for (const auto h : edge_owned) {
    if (equals_ignore_case(name, h)) return std::string(h) + " is written by the proxy itself; choose another name";
  }
  return {};
}

}  // namespace cba::config
