#pragma once
// What the proxy knows about the client of one TLS connection: the verified certificate's facts and,
// once resolved, the directory account. Small value types exchanged between proxy/ leaf folders.

#include "ldap/account.hpp"

#include <optional>
#include <string>
#include <vector>

namespace cba {

struct certificate_facts {
  std::string sha256_hex;   // 64 lowercase hex of the DER
  std::string subject;      // RFC 4514
  std::string issuer;       // RFC 4514
  std::string serial_hex;   // lowercase hex, no leading zeros beyond one byte ("0a1b2c")
  std::string rfc9440;      // RFC 9440 Client-Cert value ":base64(DER):"
  std::vector<std::string> san_upns;  // every SAN otherName UPN found (decoded, validated later)
  std::string subject_cn;
};

struct client_identity {
  certificate_facts certificate;
  std::string upn;  // as taken from the certificate (original case)
  std::optional<ldap::directory_account> account;
};

}  // namespace cba
