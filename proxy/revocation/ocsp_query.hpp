#pragma once
// OCSP without sockets: build the request for one certificate, and judge a response (status, signature
// by the issuer or a responder it delegated to, freshness, optional nonce). The checker moves the bytes.

#include "proxy/revocation/ossl_revocation.hpp"
#include "proxy/revocation/revocation_verdict.hpp"

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cba::revocation {

struct ocsp_query {
  ocsp_request_ptr request;
  ocsp_certid_ptr id;    // the certificate asked about (SHA-1 issuer hashes, as responders expect)
  std::string der;       // the request to POST
  std::string cache_key; // hex of the CertID's DER: one cache slot per certificate
};

// nullopt + error when OpenSSL cannot build it.
std::optional<ocsp_query> make_ocsp_query(X509* cert, X509* issuer, bool nonce, std::string& error);

// The responder URL of `cert`: the first http:// OCSP entry of its AIA, or empty.
std::string ocsp_responder_of(X509* cert);

struct ocsp_result {
  source_answer answer;                   // source is left for the caller
  std::time_t this_update = 0;
  std::optional<std::time_t> next_update;
};

// `trusted`: the trust anchors; `untrusted`: certificates that may complete the responder's chain
// (the client's chain, configured intermediates). `nonce`: the request carried one and it must be echoed.
ocsp_result judge_ocsp_response(std::string_view der, const ocsp_query& query, X509_STORE* trusted,
                                const std::vector<X509*>& untrusted, bool nonce, std::time_t now);

}  // namespace cba::revocation
