#pragma once
// The OpenSSL-backed content check the config loader runs on every referenced file
// (config::referenced_file_checker): certificate chains, private keys, CA bundles and CRLs must parse.

#include "config/load.hpp"

#include <optional>
#include <string>

namespace cba::tls {

class openssl_file_checker final : public config::referenced_file_checker {
 public:
  // certificate_chain: at least one certificate. private_key: one unencrypted key. ca_bundle: at least
  // one certificate, each a CA certificate. crl: a PEM or DER CRL. Other kinds: nullopt (not ours).
  std::optional<std::string> check(config::file_kind kind, const std::string& path) const override;
};

}  // namespace cba::tls
