#pragma once
// OpenSSL handles of the revocation module (OCSP, CRL distribution points, AIA strings), in the style of
// proxy/tls/ossl.hpp: zero-cost unique_ptrs, no naked *_free elsewhere.

#include "proxy/tls/ossl.hpp"

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <memory>

namespace cba::revocation {

struct string_stack_deleter {  // X509_get1_ocsp's STACK_OF(OPENSSL_STRING)
  void operator()(STACK_OF(OPENSSL_STRING)* s) const noexcept { X509_email_free(s); }
};

using ocsp_request_ptr = std::unique_ptr<OCSP_REQUEST, tls::ossl_deleter<OCSP_REQUEST_free>>;
using ocsp_response_ptr = std::unique_ptr<OCSP_RESPONSE, tls::ossl_deleter<OCSP_RESPONSE_free>>;
using ocsp_basic_ptr = std::unique_ptr<OCSP_BASICRESP, tls::ossl_deleter<OCSP_BASICRESP_free>>;
using ocsp_certid_ptr = std::unique_ptr<OCSP_CERTID, tls::ossl_deleter<OCSP_CERTID_free>>;
using dist_points_ptr = std::unique_ptr<CRL_DIST_POINTS, tls::ossl_deleter<CRL_DIST_POINTS_free>>;
using string_stack_ptr = std::unique_ptr<STACK_OF(OPENSSL_STRING), string_stack_deleter>;

}  // namespace cba::revocation
