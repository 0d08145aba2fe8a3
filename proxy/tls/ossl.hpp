#pragma once
// OpenSSL handles as zero-cost unique_ptrs, declared once for the whole project, and the error queue
// helpers. Every OpenSSL object the proxy owns lives in one of these; no naked *_free elsewhere.

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace cba::tls {

// A stateless deleter calling `Free`: unique_ptr<T, ossl_deleter<F>> is the size of a raw pointer.
template <auto Free>
struct ossl_deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};

struct x509_stack_deleter {  // owning STACK_OF(X509): frees the certificates too
  void operator()(STACK_OF(X509)* s) const noexcept { sk_X509_pop_free(s, X509_free); }
};
struct x509_stack_view_deleter {  // non-owning STACK_OF(X509): frees only the stack
  void operator()(STACK_OF(X509)* s) const noexcept { sk_X509_free(s); }
};
struct x509_name_stack_deleter {
  void operator()(STACK_OF(X509_NAME)* s) const noexcept { sk_X509_NAME_pop_free(s, X509_NAME_free); }
};
struct eku_deleter {  // EXTENDED_KEY_USAGE is a STACK_OF(ASN1_OBJECT)
  void operator()(EXTENDED_KEY_USAGE* s) const noexcept { sk_ASN1_OBJECT_pop_free(s, ASN1_OBJECT_free); }
};
struct openssl_string_deleter {  // strings OpenSSL allocated (OPENSSL_free is a macro)
  void operator()(char* p) const noexcept { OPENSSL_free(p); }
  void operator()(unsigned char* p) const noexcept { OPENSSL_free(p); }
};

using x509_ptr = std::unique_ptr<X509, ossl_deleter<X509_free>>;
using x509_store_ptr = std::unique_ptr<X509_STORE, ossl_deleter<X509_STORE_free>>;
using x509_store_ctx_ptr = std::unique_ptr<X509_STORE_CTX, ossl_deleter<X509_STORE_CTX_free>>;
using x509_crl_ptr = std::unique_ptr<X509_CRL, ossl_deleter<X509_CRL_free>>;
using x509_name_ptr = std::unique_ptr<X509_NAME, ossl_deleter<X509_NAME_free>>;
using x509_extension_ptr = std::unique_ptr<X509_EXTENSION, ossl_deleter<X509_EXTENSION_free>>;
using x509_req_ptr = std::unique_ptr<X509_REQ, ossl_deleter<X509_REQ_free>>;
using x509_stack_ptr = std::unique_ptr<STACK_OF(X509), x509_stack_deleter>;
using x509_stack_view_ptr = std::unique_ptr<STACK_OF(X509), x509_stack_view_deleter>;
using x509_name_stack_ptr = std::unique_ptr<STACK_OF(X509_NAME), x509_name_stack_deleter>;
using evp_pkey_ptr = std::unique_ptr<EVP_PKEY, ossl_deleter<EVP_PKEY_free>>;
using bio_ptr = std::unique_ptr<BIO, ossl_deleter<BIO_free_all>>;
using general_names_ptr = std::unique_ptr<GENERAL_NAMES, ossl_deleter<GENERAL_NAMES_free>>;
using general_name_ptr = std::unique_ptr<GENERAL_NAME, ossl_deleter<GENERAL_NAME_free>>;
using extended_key_usage_ptr = std::unique_ptr<EXTENDED_KEY_USAGE, eku_deleter>;
using asn1_object_ptr = std::unique_ptr<ASN1_OBJECT, ossl_deleter<ASN1_OBJECT_free>>;
using asn1_string_ptr = std::unique_ptr<ASN1_STRING, ossl_deleter<ASN1_STRING_free>>;
using asn1_integer_ptr = std::unique_ptr<ASN1_INTEGER, ossl_deleter<ASN1_INTEGER_free>>;
using asn1_type_ptr = std::unique_ptr<ASN1_TYPE, ossl_deleter<ASN1_TYPE_free>>;
using bignum_ptr = std::unique_ptr<BIGNUM, ossl_deleter<BN_free>>;
using ssl_ptr = std::unique_ptr<SSL, ossl_deleter<SSL_free>>;
using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, ossl_deleter<SSL_CTX_free>>;
using ssl_session_ptr = std::unique_ptr<SSL_SESSION, ossl_deleter<SSL_SESSION_free>>;
using openssl_string_ptr = std::unique_ptr<char, openssl_string_deleter>;
using openssl_bytes_ptr = std::unique_ptr<unsigned char, openssl_string_deleter>;

// A new owning reference to a certificate someone else owns.
inline x509_ptr up_ref(X509* x) noexcept {
  if (x != nullptr) X509_up_ref(x);
  return x509_ptr{x};
}
inline ssl_session_ptr up_ref(SSL_SESSION* session) noexcept {
  if (session != nullptr) SSL_SESSION_up_ref(session);
  return ssl_session_ptr{session};
}

// Drains this thread's OpenSSL error queue into one readable line ("…: unsupported; …: bad decrypt").
// "no detail from OpenSSL" when the queue was empty.
std::string openssl_error_string();

// SHA-256 fetched once for the process (EVP_sha256()'s implicit fetch looks the provider up on every
// digest); null if the default provider has none.
const EVP_MD* fetched_sha256();

// Clears this thread's error queue when it goes out of scope, so that a failed parse cannot leave
// entries behind that a later, unrelated call would misreport as its own.
class clear_errors_on_exit {
 public:
  clear_errors_on_exit() = default;
  clear_errors_on_exit(const clear_errors_on_exit&) = delete;
  clear_errors_on_exit& operator=(const clear_errors_on_exit&) = delete;
  ~clear_errors_on_exit();
};

}  // namespace cba::tls
