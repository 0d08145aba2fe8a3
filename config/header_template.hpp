#pragma once
// identity_headers.set: header names and their value templates ("{sam_account_name}", "{upn}").
// Validated at load time so a typo is a config error, not an empty header in production. The parsed
// segments are what the forwarding code renders per request.

#include "config/parsed.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cba::config {

enum class template_field {
  upn,
  sam_account_name,
  sid,
  dn,
  cert_sha256,   // 64 lowercase hex
  cert_issuer,   // RFC 4514
  cert_subject,  // RFC 4514
  cert_serial,   // lowercase hex
  cert_rfc9440,  // RFC 9440 Client-Cert value
};

std::string_view field_name(template_field field);  // "upn", without braces

struct template_segment {
  std::string literal;                  // emitted as is (before the field, if any)
  std::optional<template_field> field;  // empty for a trailing literal
};

// "{upn} via cba" -> [{"", upn}, {" via cba", -}]. Errors: unknown field, unbalanced braces, CR/LF/NUL
// or other control characters in the literal text.
parsed<std::vector<template_segment>> parse_header_template(std::string_view text);

// RFC 9110 token (tchar+).
bool is_header_token(std::string_view name);

// Why the proxy must own this header (hop-by-hop, Host, Content-Length, Transfer-Encoding); empty if
// a config may set it.
std::string reserved_header_reason(std::string_view name);

// Why identity_headers.set may not name this header, empty if it may: the reserved ones above, plus
// the credentials and forwarding facts the proxy writes itself (Authorization, X-Forwarded-*, ...).
// Certificate headers (Client-Cert, X-Client-Cert, ...) may be set: the client's are stripped first.
// proxy/http's header_policy uses this too, so --check-config and start-up agree.
std::string identity_header_set_problem(std::string_view name);

}  // namespace cba::config
