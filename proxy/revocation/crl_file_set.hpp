#pragma once
// The CRLs of trust.revocation.crl_files, read together into one immutable snapshot. A reload builds a
// new snapshot and the checker swaps it in whole: a check sees either the old set or the new one.

#include "proxy/revocation/crl.hpp"
#include "proxy/revocation/revocation_verdict.hpp"
#include "proxy/tls/ossl.hpp"

#include <ctime>
#include <memory>
#include <string>
#include <vector>

namespace cba::revocation {

class crl_file_set {
 public:
  // Reads every file (PEM or DER). A CRL is checked against the configured CAs of the same name
  // (`cas`: roots and intermediates); one whose signature verifies with none of them, or a file that
  // cannot be read, is left out and described in `problems` (its CA then has no CRL: "unknown"). A
  // CRL whose CA is not configured is kept and checked against the client's chain on use.
  static std::shared_ptr<const crl_file_set> load(const std::vector<std::string>& files,
                                                  const std::vector<X509*>& cas, std::time_t now,
                                                  std::vector<std::string>& problems);

  // The answer of the CRL that covers `issuer` for `cert`; unknown when no file holds one.
  source_answer answer(X509* cert, X509* issuer, std::time_t now) const;
  std::size_t size() const noexcept { return crls_.size(); }

 private:
  std::vector<std::shared_ptr<const verified_crl>> crls_;
};

}  // namespace cba::revocation
