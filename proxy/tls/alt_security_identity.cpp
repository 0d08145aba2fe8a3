#include "proxy/tls/alt_security_identity.hpp"

#include "proxy/tls/ossl.hpp"
#include "proxy/tls/x509_facts.hpp"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include <array>

namespace cba::tls {
namespace {

std::string sha1_hex(const unsigned char* data, std::size_t size) {
  std::array<unsigned char, SHA_DIGEST_LENGTH> md{};
  unsigned int md_size = 0;
  if (EVP_Digest(data, size, md.data(), &md_size, EVP_sha1(), nullptr) != 1) return {};
  return to_hex(md.data(), md_size);
}

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// CertNameToStr's X.500 keys; others are written "OID.<dotted>".
std::string attribute_key(const ASN1_OBJECT* object) {
  switch (OBJ_obj2nid(object)) {
    case NID_commonName: return "CN";
    case NID_localityName: return "L";
    case NID_organizationName: return "O";
    case NID_organizationalUnitName: return "OU";
    case NID_pkcs9_emailAddress: return "E";
    case NID_countryName: return "C";
    case NID_stateOrProvinceName: return "S";
    case NID_streetAddress: return "STREET";
    case NID_title: return "T";
    case NID_givenName: return "G";
    case NID_initials: return "I";
    case NID_surname: return "SN";
    case NID_domainComponent: return "DC";
    case NID_serialNumber: return "SERIALNUMBER";
    case NID_postalCode: return "PostalCode";
    case NID_description: return "Description";
    case NID_dnQualifier: return "dnQualifier";
    default: break;
  }
  std::array<char, 128> dotted{};
  const int n = OBJ_obj2txt(dotted.data(), static_cast<int>(dotted.size()), object, 1);
  if (n <= 0 || static_cast<std::size_t>(n) >= dotted.size()) return "OID.?";
  return "OID." + std::string(dotted.data(), static_cast<std::size_t>(n));
}

std::string attribute_value(const ASN1_STRING* data) {
  unsigned char* raw = nullptr;
  const int n = ASN1_STRING_to_UTF8(&raw, data);
  const openssl_bytes_ptr owned{raw};
  if (n < 0 || raw == nullptr) {
    // Not a string type: CertNameToStr writes such values as '#' and the hex of their content.
    return "#" + to_hex(ASN1_STRING_get0_data(data), static_cast<std::size_t>(ASN1_STRING_length(data)));
  }
  std::string value(reinterpret_cast<const char*>(raw), static_cast<std::size_t>(n));
  const bool blank_edge = !value.empty() && (value.front() == ' ' || value.back() == ' ');
  if (!blank_edge && value.find_first_of(",+=\";#<>\r\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (const char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

// The DER INTEGER content of the serial (sign byte included), bytes reversed, as lowercase hex.
std::string reversed_serial_hex(X509* cert) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  const int der_size = i2d_ASN1_INTEGER(serial, nullptr);
  if (der_size <= 2) return {};
  std::string der(static_cast<std::size_t>(der_size), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ASN1_INTEGER(serial, &p) != der_size) return {};
  // Skip the tag and the (short or long form) length.
  std::size_t header = 2;
  const auto first_length = static_cast<unsigned char>(der[1]);
  if (first_length >= 0x80) header += first_length & 0x7FU;
  if (header >= der.size()) return {};
  std::string content = der.substr(header);
  std::string reversed(content.rbegin(), content.rend());
  return to_hex(reinterpret_cast<const unsigned char*>(reversed.data()), reversed.size());
}

std::vector<std::string> email_addresses(X509* cert) {
  std::vector<std::string> out;
  const general_names_ptr names{
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr))};
  if (names) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
      if (name->type != GEN_EMAIL || name->d.rfc822Name == nullptr) continue;
      const ASN1_IA5STRING* s = name->d.rfc822Name;
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<std::size_t>(ASN1_STRING_length(s)));
    }
  }
  const X509_NAME* subject = X509_get_subject_name(cert);
  for (int i = X509_NAME_get_index_by_NID(subject, NID_pkcs9_emailAddress, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_pkcs9_emailAddress, i)) {
    const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
  }
  return out;
}

// "2c1b0a00" and "2c1b0a" name one serial: drop one trailing sign byte before comparing.
std::string_view without_sign_byte(std::string_view reversed_hex) {
  if (reversed_hex.size() > 2 && reversed_hex.substr(reversed_hex.size() - 2) == "00")
    reversed_hex.remove_suffix(2);
  return reversed_hex;
}

}  // namespace

std::string_view altsecid_kind_name(altsecid_kind kind) noexcept {
  switch (kind) {
    case altsecid_kind::issuer_serial: return "issuer_serial";
    case altsecid_kind::ski: return "ski";
    case altsecid_kind::sha1_pukey: return "sha1_pukey";
    case altsecid_kind::issuer_subject: return "issuer_subject";
    case altsecid_kind::subject: return "subject";
    case altsecid_kind::rfc822: return "rfc822";
  }
  return "unknown";
}

bool is_strong(altsecid_kind kind) noexcept {
  return kind == altsecid_kind::issuer_serial || kind == altsecid_kind::ski || kind == altsecid_kind::sha1_pukey;
}

std::string windows_name_string(const X509_NAME* name) {
  std::string out;
  int previous_set = -1;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    const int set = X509_NAME_ENTRY_set(entry);
    if (i > 0) out += set == previous_set ? '+' : ',';
    previous_set = set;
    out += attribute_key(X509_NAME_ENTRY_get_object(entry));
    out += '=';
    out += attribute_value(X509_NAME_ENTRY_get_data(entry));
  }
  return out;
}

std::vector<altsecid_candidate> altsecid_candidates(X509* cert) {
  const clear_errors_on_exit clear_errors;
  std::vector<altsecid_candidate> out;
  const std::string issuer = windows_name_string(X509_get_issuer_name(cert));
  const std::string subject = windows_name_string(X509_get_subject_name(cert));

  if (const auto serial = reversed_serial_hex(cert); !serial.empty())
    out.push_back({altsecid_kind::issuer_serial, "X509:<I>" + issuer + "<SR>" + serial});
  if (const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(cert); ski != nullptr) {
    out.push_back({altsecid_kind::ski, "X509:<SKI>" + to_hex(ASN1_STRING_get0_data(ski),
                                                             static_cast<std::size_t>(ASN1_STRING_length(ski)))});
  }
  const int der_size = i2d_X509(cert, nullptr);
  if (der_size > 0) {
    std::string der(static_cast<std::size_t>(der_size), '\0');
    auto* p = reinterpret_cast<unsigned char*>(der.data());
    if (i2d_X509(cert, &p) == der_size) {
      const auto thumbprint = sha1_hex(reinterpret_cast<const unsigned char*>(der.data()), der.size());
      if (!thumbprint.empty()) out.push_back({altsecid_kind::sha1_pukey, "X509:<SHA1-PUKEY>" + thumbprint});
    }
  }
  if (const ASN1_BIT_STRING* key = X509_get0_pubkey_bitstr(cert); key != nullptr) {
    const auto hash = sha1_hex(ASN1_STRING_get0_data(key), static_cast<std::size_t>(ASN1_STRING_length(key)));
    if (!hash.empty()) out.push_back({altsecid_kind::sha1_pukey, "X509:<SHA1-PUKEY>" + hash});
  }

  if (!subject.empty()) {
    out.push_back({altsecid_kind::issuer_subject, "X509:<I>" + issuer + "<S>" + subject});
    out.push_back({altsecid_kind::subject, "X509:<S>" + subject});
  }
  for (const auto& email : email_addresses(cert)) out.push_back({altsecid_kind::rfc822, "X509:<RFC822>" + email});
  return out;
}

bool altsecid_matches(std::string_view stored, const altsecid_candidate& candidate) {
  if (stored.size() < 5 || !iequals(stored.substr(0, 5), "X509:")) return false;
  if (candidate.kind != altsecid_kind::issuer_serial) return iequals(stored, candidate.value);
  const std::string_view value = candidate.value;
  const auto serial_at = value.rfind("<SR>") + 4;  // the candidate always has one
  const std::string_view prefix = value.substr(0, serial_at);
  if (stored.size() <= prefix.size() || !iequals(stored.substr(0, prefix.size()), prefix)) return false;
  const std::string_view stored_serial = stored.substr(prefix.size());
  if (stored_serial.size() % 2 != 0 ||
      stored_serial.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos)
    return false;
  std::string lowered(stored_serial);
  for (auto& c : lowered) c = lower(c);
  return without_sign_byte(lowered) == without_sign_byte(value.substr(serial_at));
}

}  // namespace cba::tls
