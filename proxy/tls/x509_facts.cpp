#include "proxy/tls/x509_facts.hpp"

#include "proxy/tls/ossl.hpp"

#include <openssl/evp.h>
#include <openssl/objects.h>

#include <array>

namespace cba::tls {
namespace {

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0U);
  return out;
}

std::string utf8_of(const ASN1_STRING* s) {
  unsigned char* raw = nullptr;
  const int n = ASN1_STRING_to_UTF8(&raw, s);
  const openssl_bytes_ptr owned{raw};
  if (n < 0 || raw == nullptr) return {};
  return {reinterpret_cast<const char*>(raw), static_cast<std::size_t>(n)};
}

bool is_string_backed(int asn1_type) {
  return asn1_type != V_ASN1_BOOLEAN && asn1_type != V_ASN1_NULL && asn1_type != V_ASN1_OBJECT;
}

}  // namespace

std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr std::array<char, 16> digits{'0', '1', '2', '3', '4', '5', '6', '7',
                                               '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += digits[data[i] >> 4U];
    out += digits[data[i] & 0x0fU];
  }
  return out;
}

std::vector<san_upn> read_san_upns(X509* cert) {
  std::vector<san_upn> out;
  int critical = -1;
  const general_names_ptr names{
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, &critical, nullptr))};
  if (!names) {
    // -1: no SAN. -2: several SAN extensions; >= 0: present but undecodable. Both must be refusable.
    if (critical != -1) out.push_back({V_ASN1_EOC, {}});
    return out;
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_OTHERNAME || name->d.otherName == nullptr) continue;
    const OTHERNAME* other = name->d.otherName;
    if (OBJ_obj2nid(other->type_id) != NID_ms_upn) continue;
    san_upn value;
    value.asn1_type = other->value != nullptr ? other->value->type : V_ASN1_EOC;
    if (other->value != nullptr && is_string_backed(value.asn1_type) &&
        other->value->value.asn1_string != nullptr) {
      const ASN1_STRING* s = other->value->value.asn1_string;
      value.bytes.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                         static_cast<std::size_t>(ASN1_STRING_length(s)));
    }
    out.push_back(std::move(value));
  }
  return out;
}

std::string name_string(const X509_NAME* name) {
  const bio_ptr bio{BIO_new(BIO_s_mem())};
  if (!bio || name == nullptr) return {};
  // RFC 2253 output is RFC 4514 output; keeping bytes >= 0x80 unescaped lets UTF-8 through intact.
  const unsigned long flags = XN_FLAG_RFC2253 & ~static_cast<unsigned long>(ASN1_STRFLGS_ESC_MSB);
  if (X509_NAME_print_ex(bio.get(), name, 0, flags) < 0) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  if (size <= 0 || data == nullptr) return {};
  return {data, static_cast<std::size_t>(size)};
}

std::string subject_string(X509* cert) { return name_string(X509_get_subject_name(cert)); }
std::string issuer_string(X509* cert) { return name_string(X509_get_issuer_name(cert)); }

std::string sha256_hex(X509* cert) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int size = 0;
  if (X509_digest(cert, fetched_sha256(), md.data(), &size) != 1) return {};
  return to_hex(md.data(), size);
}

std::string serial_hex(X509* cert) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  const unsigned char* data = ASN1_STRING_get0_data(serial);
  auto size = static_cast<std::size_t>(ASN1_STRING_length(serial));
  std::size_t first = 0;
  while (first + 1 < size && data[first] == 0) ++first;
  std::string hex = size == 0 ? std::string("00") : to_hex(data + first, size - first);
  if (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER) hex.insert(0, 1, '-');
  return hex;
}

std::string der_bytes(X509* cert) {
  const int size = i2d_X509(cert, nullptr);
  if (size <= 0) return {};
  std::string der(static_cast<std::size_t>(size), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_X509(cert, &p) != size) return {};
  return der;
}

std::vector<std::string> subject_common_names(X509* cert) {
  std::vector<std::string> out;
  const X509_NAME* subject = X509_get_subject_name(cert);
  for (int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) {
    out.push_back(utf8_of(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i))));
  }
  return out;
}

certificate_facts describe_certificate(X509* cert) {
  certificate_facts facts;
  facts.sha256_hex = sha256_hex(cert);
  facts.subject = subject_string(cert);
  facts.issuer = issuer_string(cert);
  facts.serial_hex = serial_hex(cert);
  facts.rfc9440 = ":" + base64(der_bytes(cert)) + ":";
  for (auto& upn : read_san_upns(cert)) {
    if (upn.asn1_type == V_ASN1_UTF8STRING) {
      facts.san_upns.push_back(std::move(upn.bytes));
    } else {
      facts.san_upns.push_back(std::string("!") + ASN1_tag2str(upn.asn1_type));
    }
  }
  auto cns = subject_common_names(cert);
  if (!cns.empty()) facts.subject_cn = std::move(cns.back());
  return facts;
}

}  // namespace cba::tls
