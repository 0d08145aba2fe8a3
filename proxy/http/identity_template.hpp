#pragma once
// An identity header template ("{sam_account_name}", "{upn} via cba") compiled once at start-up and
// rendered per request. Fields: upn sam_account_name sid dn cert_sha256 cert_issuer cert_subject
// cert_serial cert_rfc9440. The account fields render empty when the identity has no account.
//
// Rendering never yields a header value that could end the header or start another: every control
// character (CR, LF, NUL, HT, ..., DEL) coming from a field is written as %XX. '%' itself is kept, so
// the encoding is not reversible; it exists to make injection impossible, not to transport the bytes.

#include "proxy/identity.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cba::http {

enum class identity_field {
  upn,
  sam_account_name,
  sid,
  dn,
  cert_sha256,
  cert_issuer,
  cert_subject,
  cert_serial,
  cert_rfc9440,
};

class identity_template {
 public:
  // nullopt and a message naming the problem ("unknown field {mail}; known fields: ...") when the text
  // has an unknown field, an unbalanced brace or a control character.
  static std::optional<identity_template> compile(std::string_view text, std::string& error);

  std::string render(const cba::client_identity& identity) const;
  // Whether the template names `field` anywhere.
  bool uses(identity_field field) const noexcept;
  const std::string& text() const noexcept { return text_; }

 private:
  struct part {
    std::string literal;                 // used when field is empty
    std::optional<identity_field> field;
  };
  std::string text_;
  std::vector<part> parts_;
};

// The value of one field for an identity, unsanitised.
std::string_view field_value(identity_field field, const cba::client_identity& identity) noexcept;

// Appends `value` to `out` with every control character written as %XX (uppercase hex).
void append_header_safe(std::string& out, std::string_view value);

}  // namespace cba::http
