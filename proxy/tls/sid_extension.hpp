#pragma once
// The account SID a certificate names for KB5014754 strong mapping: the extension
// szOID_NTDS_CA_SECURITY_EXT (1.3.6.1.4.1.311.25.2) that AD CS writes, and the SAN URL
// "tag:microsoft.com,2022-09-14:sid:<SID>" that other CAs may use instead.
//
// The extension value is DER, laid out as AD CS writes it (MS-WCCE 2.2.2.7.7.4; the same bytes as
// Certify's and PSCertificateEnrollment's encoders), i.e. a GeneralNames holding one otherName:
//   SEQUENCE {                                   30 len
//     [0] {                                      A0 len   (otherName, implicitly tagged)
//       OBJECT IDENTIFIER 1.3.6.1.4.1.311.25.2.1 06 0A 2B 06 01 04 01 82 37 19 02 01
//       [0] { OCTET STRING "S-1-5-21-..." } } }  A0 len 04 len <ASCII SID>

#include "proxy/error.hpp"

#include <openssl/x509.h>

#include <optional>
#include <string>
#include <string_view>

namespace cba::tls {

inline constexpr const char* sid_extension_oid = "1.3.6.1.4.1.311.25.2";    // szOID_NTDS_CA_SECURITY_EXT
inline constexpr const char* sid_other_name_oid = "1.3.6.1.4.1.311.25.2.1";  // szOID_NTDS_OBJECTSID
inline constexpr std::string_view sid_url_prefix = "tag:microsoft.com,2022-09-14:sid:";

struct certificate_sid {
  errc reason = errc::ok;  // ok | sid_extension_malformed | sid_ambiguous
  std::string sid;         // canonical "S-1-5-21-..."; empty: the certificate names no SID
  std::string source;      // "extension", "san_url" or "extension+san_url" (for logs and explain)
  std::string detail;      // why not, for logs (untrusted bytes escaped)
};

// Why `text` is not a SID in canonical string form, or nullopt. Canonical: "S-1-" then the identifier
// authority in decimal (< 2^48), then 1 to 15 sub-authorities in decimal (< 2^32), no leading zeros,
// nothing else. Anything else is refused rather than guessed at: a refusal is the safe reading.
std::optional<std::string> sid_problem(std::string_view text);

// Parses the extension's value (the extnValue OCTET STRING's content). Strict DER: definite minimal
// lengths, no trailing bytes. Every entry of the SEQUENCE must be the SID otherName; several entries
// must agree.
certificate_sid parse_sid_extension(std::string_view der);

// The SID from the SAN URL value, or nullopt when `uri` does not start with sid_url_prefix (compared
// case-insensitively: scheme and tagging authority are case-insensitive). A matching prefix with a
// malformed SID is a sid_extension_malformed result.
std::optional<certificate_sid> parse_sid_url(std::string_view uri);

// Both sources of one certificate combined: malformed anywhere refuses; different SIDs are
// sid_ambiguous; the extension appearing twice counts as two sources.
certificate_sid read_certificate_sid(X509* cert);

}  // namespace cba::tls
