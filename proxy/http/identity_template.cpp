#include "proxy/http/identity_template.hpp"

#include "proxy/http/ascii.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace cba::http {
namespace {

struct field_name {
  std::string_view name;
  identity_field field;
};

constexpr std::array<field_name, 9> field_names{{
    {"upn", identity_field::upn},
    {"sam_account_name", identity_field::sam_account_name},
    {"sid", identity_field::sid},
    {"dn", identity_field::dn},
    {"cert_sha256", identity_field::cert_sha256},
    {"cert_issuer", identity_field::cert_issuer},
    {"cert_subject", identity_field::cert_subject},
    {"cert_serial", identity_field::cert_serial},
    {"cert_rfc9440", identity_field::cert_rfc9440},
}};

std::string known_fields() {
  std::string out;
  for (const auto& f : field_names) {
    if (!out.empty()) out += ' ';
    out += '{';
    out += f.name;
    out += '}';
  }
  return out;
}

}  // namespace

std::optional<identity_template> identity_template::compile(std::string_view text, std::string& error) {
  identity_template t;
  t.text_ = std::string(text);
  std::string literal;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '}') {
      error = "unbalanced '}' at offset " + std::to_string(i);
      return std::nullopt;
    }
    if (ascii::is_ctl(c) && c != '\t') {
      error = "control character at offset " + std::to_string(i);
      return std::nullopt;
    }
    if (c != '{') {
      literal.push_back(c);
      continue;
    }
    const std::size_t close = text.find('}', i + 1);
    if (close == std::string_view::npos) {
      error = "unclosed '{' at offset " + std::to_string(i);
      return std::nullopt;
    }
    const std::string_view name = text.substr(i + 1, close - i - 1);
    const field_name* found = nullptr;
    for (const auto& f : field_names)
      if (f.name == name) found = &f;
    if (found == nullptr) {
      error = "unknown field {" + std::string(name) + "}; known fields: " + known_fields();
      return std::nullopt;
    }
    if (!literal.empty()) t.parts_.push_back({std::exchange(literal, {}), std::nullopt});
    t.parts_.push_back({{}, found->field});
    i = close;
  }
  if (!literal.empty()) t.parts_.push_back({std::move(literal), std::nullopt});
  return t;
}

std::string_view field_value(identity_field field, const cba::client_identity& identity) noexcept {
  const auto& cert = identity.certificate;
  const auto* account = identity.account ? &*identity.account : nullptr;
  switch (field) {
    case identity_field::upn: return identity.upn;
    case identity_field::sam_account_name: return account ? std::string_view{account->sam_account_name} : "";
    case identity_field::sid: return account ? std::string_view{account->sid} : "";
    case identity_field::dn: return account ? std::string_view{account->dn} : "";
    case identity_field::cert_sha256: return cert.sha256_hex;
    case identity_field::cert_issuer: return cert.issuer;
    case identity_field::cert_subject: return cert.subject;
    case identity_field::cert_serial: return cert.serial_hex;
    case identity_field::cert_rfc9440: return cert.rfc9440;
  }
  return {};
}

void append_header_safe(std::string& out, std::string_view value) {
  constexpr std::string_view hex = "0123456789ABCDEF";
  // Values are nearly always clean: copy those in one piece.
  if (std::none_of(value.begin(), value.end(), [](char c) { return ascii::is_ctl(c); })) {
    out.append(value.data(), value.size());
    return;
  }
  out.reserve(out.size() + value.size() + 8);
  for (char c : value) {
    if (ascii::is_ctl(c)) {
      const auto b = ascii::byte(c);
      out.push_back('%');
      out.push_back(hex[b >> 4]);
      out.push_back(hex[b & 0x0f]);
    } else {
      out.push_back(c);
    }
  }
}

bool identity_template::uses(identity_field field) const noexcept {
  return std::any_of(parts_.begin(), parts_.end(), [field](const part& p) { return p.field == field; });
}

std::string identity_template::render(const cba::client_identity& identity) const {
  std::string out;
  for (const auto& p : parts_) {
    if (p.field)
      append_header_safe(out, field_value(*p.field, identity));
    else
      out += p.literal;
  }
  return out;
}

}  // namespace cba::http
