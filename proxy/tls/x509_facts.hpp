#pragma once
// Facts of one X.509 certificate as the rest of the proxy sees them (logs, identity headers, mapping):
// fingerprint, names, serial, the RFC 9440 form, UPNs from the SAN.

#include "proxy/identity.hpp"

#include <openssl/x509.h>

#include <string>
#include <vector>

namespace cba::tls {

// OID of the Microsoft UPN otherName (szOID_NT_PRINCIPAL_NAME).
inline constexpr const char* upn_other_name_oid = "1.3.6.1.4.1.311.20.2.3";

// One SAN otherName UPN value as found: the raw content bytes and their ASN.1 string type
// (V_ASN1_UTF8STRING for a well-formed one). Non-string values keep their type and empty bytes.
struct san_upn {
  int asn1_type = V_ASN1_UTF8STRING;
  std::string bytes;
};

// Every SAN otherName with OID 1.3.6.1.4.1.311.20.2.3, in extension order. An unparsable SAN extension
// yields one entry of type V_ASN1_EOC so that UPN selection refuses it instead of seeing "no UPN".
std::vector<san_upn> read_san_upns(X509* cert);

// RFC 4514 string of a name (most specific RDN first, UTF-8 kept as is): "CN=Alice,DC=example,DC=test".
std::string name_string(const X509_NAME* name);
std::string subject_string(X509* cert);
std::string issuer_string(X509* cert);

// Lowercase hex of the DER's SHA-256 (64 characters).
// Lowercase hex of raw bytes (fingerprints, serials, key identifiers).
std::string to_hex(const unsigned char* data, std::size_t size);

std::string sha256_hex(X509* cert);
// Lowercase hex of the serial's magnitude, leading zero bytes dropped, at least one byte ("0a1b2c",
// "00" for zero); a negative serial gets a leading '-'.
std::string serial_hex(X509* cert);
// The DER encoding.
std::string der_bytes(X509* cert);
// Every commonName of the subject in DER order, decoded to UTF-8.
std::vector<std::string> subject_common_names(X509* cert);

// All facts at once. san_upns lists UTF8String values decoded; a value of another ASN.1 type is
// recorded as "!<type>" (e.g. "!BMPSTRING"), which no UPN rule accepts. subject_cn is the subject's most
// specific (last in DER order) commonName, empty when there is none.
certificate_facts describe_certificate(X509* cert);

}  // namespace cba::tls
