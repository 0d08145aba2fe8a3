#include "proxy/tls/sid_extension.hpp"

#include "proxy/tls/ossl.hpp"
#include "proxy/tls/upn.hpp"

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstdint>
#include <vector>

namespace cba::tls {
namespace {

// DER of OBJECT IDENTIFIER 1.3.6.1.4.1.311.25.2.1's content (311 = 0x82 0x37).
constexpr std::array<unsigned char, 10> objectsid_oid_der{0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x19, 0x02, 0x01};
constexpr std::size_t max_sid_text = 256;  // 15 sub-authorities of 10 digits fit in ~190

// A strict DER reader over untrusted bytes: one TLV at a time, definite minimal lengths only.
class der_reader {
 public:
  explicit der_reader(std::string_view in) : in_(in) {}
  bool empty() const noexcept { return pos_ == in_.size(); }

  // The content of the next TLV when its identifier octet is `tag`, else nullopt (and the reader is
  // left unusable: callers treat any nullopt as "malformed").
  std::optional<std::string_view> read(unsigned char tag) {
    if (in_.size() - pos_ < 2 || byte(pos_) != tag) return std::nullopt;
    std::size_t p = pos_ + 1;
    std::size_t length = byte(p++);
    if (length >= 0x80) {
      const std::size_t count = length & 0x7FU;
      // 0x80 is BER's indefinite form; more than 4 length octets cannot describe a certificate part.
      if (count == 0 || count > 4 || in_.size() - p < count) return std::nullopt;
      if (byte(p) == 0) return std::nullopt;  // not minimal
      length = 0;
      for (std::size_t i = 0; i < count; ++i) length = (length << 8U) | byte(p++);
      if (length < 0x80) return std::nullopt;  // short form was required
    }
    if (in_.size() - p < length) return std::nullopt;
    pos_ = p + length;
    return in_.substr(p, length);
  }

 private:
  unsigned byte(std::size_t i) const noexcept { return static_cast<unsigned char>(in_[i]); }
  std::string_view in_;
  std::size_t pos_ = 0;
};

certificate_sid malformed(std::string detail) {
  return {errc::sid_extension_malformed, {}, {}, std::move(detail)};
}

bool is_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// Decimal without leading zeros, at most `max`.
bool canonical_number(std::string_view s, std::uint64_t max) {
  if (!is_digits(s) || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return false;
  std::uint64_t value = 0;
  for (const char c : s) {
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (max - digit) / 10) return false;
    value = value * 10 + digit;
  }
  return true;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char a = text[i];
    char b = prefix[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

// Adds one source's result to the combined one: the first SID found sets it, a different one is
// ambiguous, an error always wins.
void combine(certificate_sid& total, const certificate_sid& next, std::string_view source) {
  if (total.reason != errc::ok) return;
  if (next.reason != errc::ok) {
    total = next;
    return;
  }
  if (next.sid.empty()) return;
  if (total.sid.empty()) {
    total.sid = next.sid;
    total.source = std::string(source);
    return;
  }
  if (total.sid != next.sid) {
    total = {errc::sid_ambiguous, {}, {},
             "the certificate names SID " + total.sid + " (" + total.source + ") and SID " + next.sid + " (" +
                 std::string(source) + ")"};
    return;
  }
  if (total.source.find(source) == std::string::npos) total.source += "+" + std::string(source);
}

}  // namespace

std::optional<std::string> sid_problem(std::string_view text) {
  if (text.size() > max_sid_text) return "longer than " + std::to_string(max_sid_text) + " characters";
  if (text.substr(0, 4) != "S-1-") return "does not start with \"S-1-\"";
  std::vector<std::string_view> parts;
  std::size_t start = 4;
  for (;;) {
    const auto dash = text.find('-', start);
    parts.push_back(text.substr(start, dash == std::string_view::npos ? std::string_view::npos : dash - start));
    if (dash == std::string_view::npos) break;
    start = dash + 1;
  }
  if (parts.size() < 2) return "has no sub-authority";
  if (parts.size() > 16) return "has more than 15 sub-authorities";
  if (!canonical_number(parts[0], (std::uint64_t{1} << 48U) - 1))
    return "identifier authority is not a canonical decimal below 2^48";
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (!canonical_number(parts[i], 0xFFFFFFFFULL))
      return "sub-authority " + std::to_string(i) + " is not a canonical decimal below 2^32";
  }
  return std::nullopt;
}

certificate_sid parse_sid_extension(std::string_view der) {
  der_reader outer(der);
  const auto names = outer.read(0x30);
  if (!names || !outer.empty()) return malformed("SID extension: not one DER SEQUENCE");
  der_reader entries(*names);
  if (entries.empty()) return malformed("SID extension: empty SEQUENCE");
  certificate_sid result;
  while (!entries.empty()) {
    const auto other_name = entries.read(0xA0);
    if (!other_name) return malformed("SID extension: an entry is not an otherName [0]");
    der_reader fields(*other_name);
    const auto oid = fields.read(0x06);
    if (!oid || *oid != std::string_view(reinterpret_cast<const char*>(objectsid_oid_der.data()),
                                         objectsid_oid_der.size()))
      return malformed("SID extension: the otherName's type is not 1.3.6.1.4.1.311.25.2.1");
    const auto explicit_value = fields.read(0xA0);
    if (!explicit_value || !fields.empty()) return malformed("SID extension: the otherName's value is not [0]");
    der_reader value(*explicit_value);
    const auto octets = value.read(0x04);
    if (!octets || !value.empty()) return malformed("SID extension: the value is not one OCTET STRING");
    if (auto problem = sid_problem(*octets))
      return malformed("SID extension value \"" + escape_for_log(octets->substr(0, max_sid_text)) +
                       "\" is not a SID: " + *problem);
    combine(result, {errc::ok, std::string(*octets), "extension", {}}, "extension");
    if (result.reason != errc::ok) return result;
  }
  return result;
}

std::optional<certificate_sid> parse_sid_url(std::string_view uri) {
  if (!iequals_prefix(uri, sid_url_prefix)) return std::nullopt;
  const auto text = uri.substr(sid_url_prefix.size());
  if (auto problem = sid_problem(text))
    return malformed("SAN URL \"" + escape_for_log(uri.substr(0, max_sid_text)) + "\" holds no SID: " + *problem);
  return certificate_sid{errc::ok, std::string(text), "san_url", {}};
}

certificate_sid read_certificate_sid(X509* cert) {
  const clear_errors_on_exit clear_errors;
  certificate_sid total;
  const asn1_object_ptr oid{OBJ_txt2obj(sid_extension_oid, 1)};
  if (!oid) return malformed("cannot create OID " + std::string(sid_extension_oid) + ": " + openssl_error_string());
  for (int i = X509_get_ext_by_OBJ(cert, oid.get(), -1); i >= 0; i = X509_get_ext_by_OBJ(cert, oid.get(), i)) {
    const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(cert, i));
    const std::string_view der(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                               static_cast<std::size_t>(ASN1_STRING_length(data)));
    combine(total, parse_sid_extension(der), "extension");
  }

  int critical = -1;
  const general_names_ptr names{
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, &critical, nullptr))};
  if (!names) {
    // -1: no SAN. Otherwise several SAN extensions or an undecodable one: a SID URL cannot be ruled out.
    if (critical != -1) combine(total, malformed("the SAN extension cannot be decoded, or appears twice"), "san_url");
    return total;
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_URI || name->d.uniformResourceIdentifier == nullptr) continue;
    const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
    const std::string_view text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                                static_cast<std::size_t>(ASN1_STRING_length(uri)));
    if (auto found = parse_sid_url(text)) combine(total, *found, "san_url");
  }
  return total;
}

}  // namespace cba::tls
