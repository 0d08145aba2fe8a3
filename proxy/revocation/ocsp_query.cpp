#include "proxy/revocation/ocsp_query.hpp"

#include "proxy/revocation/crl.hpp"
#include "proxy/tls/x509_facts.hpp"

namespace cba::revocation {
namespace {

ocsp_result unknown(std::string detail) {
  ocsp_result r;
  r.answer.detail = std::move(detail);
  return r;
}

}  // namespace

std::optional<ocsp_query> make_ocsp_query(X509* cert, X509* issuer, bool nonce, std::string& error) {
  const tls::clear_errors_on_exit guard;
  ocsp_query q;
  q.request.reset(OCSP_REQUEST_new());
  q.id.reset(OCSP_cert_to_id(EVP_sha1(), cert, issuer));
  ocsp_certid_ptr for_request{q.id ? OCSP_CERTID_dup(q.id.get()) : nullptr};
  if (!q.request || !for_request || OCSP_request_add0_id(q.request.get(), for_request.get()) == nullptr) {
    error = "cannot build the OCSP request: " + tls::openssl_error_string();
    return std::nullopt;
  }
  static_cast<void>(for_request.release());
  if (nonce && OCSP_request_add1_nonce(q.request.get(), nullptr, -1) != 1) {
    error = "cannot add the OCSP nonce: " + tls::openssl_error_string();
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int length = i2d_OCSP_REQUEST(q.request.get(), &der);
  if (length <= 0) {
    error = "cannot encode the OCSP request: " + tls::openssl_error_string();
    return std::nullopt;
  }
  const tls::openssl_bytes_ptr owned{der};
  q.der.assign(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));

  unsigned char* id_der = nullptr;
  const int id_length = i2d_OCSP_CERTID(q.id.get(), &id_der);
  if (id_length <= 0) {
    error = "cannot encode the OCSP CertID: " + tls::openssl_error_string();
    return std::nullopt;
  }
  const tls::openssl_bytes_ptr owned_id{id_der};
  q.cache_key = tls::to_hex(id_der, static_cast<std::size_t>(id_length));
  return q;
}

std::string ocsp_responder_of(X509* cert) {
  const string_stack_ptr urls{X509_get1_ocsp(cert)};
  for (int i = 0; urls && i < sk_OPENSSL_STRING_num(urls.get()); ++i) {
    std::string url = sk_OPENSSL_STRING_value(urls.get(), i);
    if (url.rfind("http://", 0) == 0) return url;
  }
  return {};
}

ocsp_result judge_ocsp_response(std::string_view der, const ocsp_query& query, X509_STORE* trusted,
                                const std::vector<X509*>& untrusted, bool nonce, std::time_t now) {
  const tls::clear_errors_on_exit guard;
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const ocsp_response_ptr response{d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size()))};
  if (!response) return unknown("the responder's answer is not an OCSP response");
  const int response_status = OCSP_response_status(response.get());
  if (response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL)
    return unknown(std::string("the responder answered ") + OCSP_response_status_str(response_status));
  const ocsp_basic_ptr basic{OCSP_response_get1_basic(response.get())};
  if (!basic) return unknown("the OCSP response has no basic response");
  if (nonce && OCSP_check_nonce(query.request.get(), basic.get()) != 1)
    return unknown("the OCSP response does not echo our nonce");

  tls::x509_stack_view_ptr chain{sk_X509_new_null()};
  if (!chain) return unknown("out of memory");
  for (X509* cert : untrusted) sk_X509_push(chain.get(), cert);
  if (OCSP_basic_verify(basic.get(), chain.get(), trusted, 0) != 1)
    return unknown("the OCSP response's signature does not verify (signer not the issuer or a responder it "
                   "authorised): " + tls::openssl_error_string());

  int status = -1;
  int reason = -1;
  ASN1_GENERALIZEDTIME* revoked_at = nullptr;
  ASN1_GENERALIZEDTIME* this_update = nullptr;
  ASN1_GENERALIZEDTIME* next_update = nullptr;
  if (OCSP_resp_find_status(basic.get(), query.id.get(), &status, &reason, &revoked_at, &this_update, &next_update) != 1)
    return unknown("the OCSP response does not mention the certificate");
  ocsp_result r;
  r.this_update = to_time(this_update).value_or(0);
  r.next_update = to_time(next_update);
  if (r.this_update > now + clock_skew_seconds)
    return unknown("the OCSP response's thisUpdate " + time_text(r.this_update) + " is in the future");
  if (r.next_update && now >= *r.next_update + clock_skew_seconds)
    return unknown("the OCSP response is past its nextUpdate " + time_text(*r.next_update));
  r.answer.age = std::chrono::seconds(now > r.this_update ? now - r.this_update : 0);
  switch (status) {
    case V_OCSP_CERTSTATUS_GOOD:
      r.answer.status = revocation_status::good;
      break;
    case V_OCSP_CERTSTATUS_REVOKED: {
      r.answer.status = revocation_status::revoked;
      const auto when = to_time(revoked_at);
      r.answer.detail = "revoked" + (when ? " on " + time_text(*when) : std::string());
      if (reason >= 0) r.answer.detail += std::string(" (") + OCSP_crl_reason_str(reason) + ")";
      break;
    }
    default:
      r.answer.detail = "the responder does not know the certificate";
      break;
  }
  return r;
}

}  // namespace cba::revocation
