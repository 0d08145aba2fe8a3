#include "proxy/tls/certificate_policy.hpp"

#include "proxy/tls/pem.hpp"
#include "proxy/tls/x509_facts.hpp"

#include <boost/asio/ssl/error.hpp>

#include <openssl/err.h>
#include <openssl/objects.h>

#include <stdexcept>

namespace cba::tls {
namespace {

using policy_keepalive = std::shared_ptr<const certificate_policy>;

// OpenSSL ex_data indexes are process-wide whatever we do; function-local statics allocate each one
// exactly once (thread-safe) instead of one per policy, which would leak an index per reload.
int verdict_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

void free_keepalive(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<policy_keepalive*>(ptr);
}

int keepalive_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, &free_keepalive);
  return index;
}

std::vector<x509_ptr> read_bundle(const std::string& key, const std::string& path) {
  auto certs = read_certificates(path);
  if (!certs) throw std::runtime_error(key + " (" + path + "): " + certs.error);
  return std::move(certs.value);
}

asn1_object_ptr eku_object(const std::string& name) {
  if (name == "client_auth") return asn1_object_ptr{OBJ_nid2obj(NID_client_auth)};
  if (name == "smartcard_logon") return asn1_object_ptr{OBJ_nid2obj(NID_ms_smartcard_login)};
  const clear_errors_on_exit guard;
  return asn1_object_ptr{OBJ_txt2obj(name.c_str(), 1)};
}

std::string quoted_subject(X509* cert) {
  return cert != nullptr ? "\"" + subject_string(cert) + "\"" : std::string("(unknown certificate)");
}

peer_verdict refusal(errc reason, std::string detail) { return {reason, std::move(detail), true}; }

errc reason_for_verify_error(int error) {
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return errc::certificate_expired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return errc::certificate_not_yet_valid;
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
      return errc::chain_too_deep;
    default:
      return errc::chain_untrusted;
  }
}

// The X509_V_ERR that makes OpenSSL send a fitting alert for a refusal our policy made: chain_too_deep
// -> unknown_ca, eku_missing -> unsupported_certificate, issuer_not_ntauth -> bad_certificate (OpenSSL
// 3.0 maps no verify error to access_denied).
int verify_error_for(errc reason) {
  switch (reason) {
    case errc::chain_too_deep:
      return X509_V_ERR_CERT_CHAIN_TOO_LONG;
    case errc::eku_missing:
      return X509_V_ERR_INVALID_PURPOSE;
    case errc::issuer_not_ntauth:
      return X509_V_ERR_CERT_REJECTED;
    default:
      return X509_V_ERR_APPLICATION_VERIFICATION;
  }
}

}  // namespace

certificate_policy::~certificate_policy() = default;

std::shared_ptr<const certificate_policy> certificate_policy::create(const config::trust_config& trust) {
  std::shared_ptr<certificate_policy> policy{new certificate_policy()};

  if (trust.roots.empty()) throw std::runtime_error("trust.roots is required");
  auto roots = read_bundle("trust.roots", trust.roots);
  policy->roots_.reset(X509_STORE_new());
  if (!policy->roots_) throw std::runtime_error("trust.roots: " + openssl_error_string());
  for (const auto& root : roots) {
    if (X509_STORE_add_cert(policy->roots_.get(), root.get()) != 1) {
      throw std::runtime_error("trust.roots (" + trust.roots + "): cannot add " +
                               quoted_subject(root.get()) + ": " + openssl_error_string());
    }
  }
  if (!trust.intermediates.empty()) {
    policy->intermediates_ = read_bundle("trust.intermediates", trust.intermediates);
  }
  if (!trust.ntauth.empty()) policy->ntauth_ = read_bundle("trust.ntauth", trust.ntauth);

  const auto advertise = trust.advertise.value_or(trust.ntauth.empty() ? config::advertise_mode::roots
                                                                       : config::advertise_mode::ntauth);
  if (advertise == config::advertise_mode::ntauth && trust.ntauth.empty()) {
    throw std::runtime_error("trust.advertise: ntauth needs trust.ntauth to be set");
  }
  const auto& names_from = advertise == config::advertise_mode::ntauth ? policy->ntauth_ : roots;
  if (advertise != config::advertise_mode::none) {
    for (const auto& cert : names_from) policy->advertised_.push_back(up_ref(cert.get()));
  }

  if (trust.max_depth < 1) throw std::runtime_error("trust.max_depth must be at least 1");
  policy->max_depth_ = trust.max_depth;

  if (trust.required_ekus.empty()) {
    throw std::runtime_error("trust.required_ekus must name at least one EKU (client_auth, "
                             "smartcard_logon or a dotted OID)");
  }
  for (const auto& name : trust.required_ekus) {
    auto object = eku_object(name);
    if (!object) {
      throw std::runtime_error("trust.required_ekus: \"" + name +
                               "\" is neither client_auth, smartcard_logon nor a dotted OID");
    }
    policy->required_ekus_.push_back(std::move(object));
    policy->required_eku_names_.push_back(name);
  }

  // trust.revocation is not the handshake's: proxy/revocation decides right after it (answers may need
  // the network), see session.cpp.
  return policy;
}

void certificate_policy::install(SSL_CTX* ctx, config::client_certificate_mode mode) const {
  SSL_CTX_set1_cert_store(ctx, roots_.get());
  SSL_CTX_set_cert_verify_callback(ctx, &certificate_policy::verify_callback,
                                   const_cast<void*>(static_cast<const void*>(this)));
  int verify_mode = SSL_VERIFY_PEER;
  if (mode == config::client_certificate_mode::require) verify_mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(ctx, verify_mode, nullptr);
  // OpenSSL's depth counts intermediates only; evaluate_chain applies the exact max_depth.
  SSL_CTX_set_verify_depth(ctx, max_depth_);

  x509_name_stack_ptr names{sk_X509_NAME_new_null()};
  if (!names) throw std::runtime_error("CertificateRequest CA names: " + openssl_error_string());
  for (const auto& cert : advertised_) {
    x509_name_ptr name{X509_NAME_dup(X509_get_subject_name(cert.get()))};
    if (!name || sk_X509_NAME_push(names.get(), name.get()) <= 0) {
      throw std::runtime_error("CertificateRequest CA names: " + openssl_error_string());
    }
    static_cast<void>(name.release());
  }
  SSL_CTX_set_client_CA_list(ctx, names.release());

  auto* previous = static_cast<policy_keepalive*>(SSL_CTX_get_ex_data(ctx, keepalive_index()));
  auto keepalive = std::make_unique<policy_keepalive>(shared_from_this());
  if (SSL_CTX_set_ex_data(ctx, keepalive_index(), keepalive.get()) != 1) {
    throw std::runtime_error("cannot attach the certificate policy: " + openssl_error_string());
  }
  static_cast<void>(keepalive.release());
  delete previous;
}

void certificate_policy::attach(SSL* ssl, peer_verdict* verdict) {
  if (verdict != nullptr) {
    *verdict = {errc::no_client_certificate, "the client sent no certificate", false};
  }
  SSL_set_ex_data(ssl, verdict_index(), verdict);
}

peer_verdict* certificate_policy::attached(SSL* ssl) {
  return static_cast<peer_verdict*>(SSL_get_ex_data(ssl, verdict_index()));
}

errc certificate_policy::handshake_failure_reason(const peer_verdict& verdict,
                                                  const boost::system::error_code& ec) {
  if (verdict.certificate_presented && verdict.reason != errc::ok) return verdict.reason;
  if (ec.category() == boost::asio::error::get_ssl_category()) {
    const auto code = static_cast<unsigned long>(static_cast<unsigned int>(ec.value()));
    if (ERR_GET_LIB(code) == ERR_LIB_SSL &&
        ERR_GET_REASON(code) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
      return errc::no_client_certificate;
    }
  }
  return errc::handshake_failed;
}

int certificate_policy::verify_callback(X509_STORE_CTX* ctx, void* arg) {
  // A C callback: nothing may escape it; any failure refuses the certificate.
  try {
    const auto* policy = static_cast<const certificate_policy*>(arg);
    auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
    peer_verdict* verdict = ssl != nullptr ? attached(ssl) : nullptr;
    peer_verdict result = policy->verify_in(ctx);
    const bool ok = result.reason == errc::ok;
    if (verdict != nullptr) *verdict = std::move(result);
    return ok ? 1 : 0;
  } catch (...) {
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
}

peer_verdict certificate_policy::verify_in(X509_STORE_CTX* ctx) const {
  X509* leaf = X509_STORE_CTX_get0_cert(ctx);
  if (leaf == nullptr) return refusal(errc::chain_untrusted, "no certificate to verify");

  // Chain building may use the presented certificates and our intermediates, never trust them.
  STACK_OF(X509)* presented = X509_STORE_CTX_get0_untrusted(ctx);
  x509_stack_view_ptr untrusted{presented != nullptr ? sk_X509_dup(presented) : sk_X509_new_null()};
  if (!untrusted) return refusal(errc::chain_untrusted, "out of memory building the chain");
  for (const auto& cert : intermediates_) sk_X509_push(untrusted.get(), cert.get());
  X509_STORE_CTX_set0_untrusted(ctx, untrusted.get());

  // EKU is judged by our rule below (required_ekus), not by OpenSSL's "ssl_client" purpose, which
  // passes a leaf without EKU and refuses CA certificates with EKUs.
  X509_VERIFY_PARAM_set_purpose(X509_STORE_CTX_get0_param(ctx), X509_PURPOSE_ANY);

  const clear_errors_on_exit guard;
  const int verified = X509_verify_cert(ctx);
  X509_STORE_CTX_set0_untrusted(ctx, presented);

  if (verified != 1) {
    const int error = X509_STORE_CTX_get_error(ctx);
    X509* current = X509_STORE_CTX_get_current_cert(ctx);
    const int depth = X509_STORE_CTX_get_error_depth(ctx);
    std::string detail = "client certificate " + quoted_subject(leaf) + ": " +
                         X509_verify_cert_error_string(error);
    if (depth > 0 && current != nullptr && current != leaf) {
      detail += " (at depth " + std::to_string(depth) + ": " + quoted_subject(current) + ")";
    }
    if (error == X509_V_OK) X509_STORE_CTX_set_error(ctx, X509_V_ERR_UNSPECIFIED);
    return refusal(reason_for_verify_error(error), std::move(detail));
  }

  peer_verdict verdict = evaluate_chain(X509_STORE_CTX_get0_chain(ctx));
  if (verdict.reason != errc::ok) {
    X509_STORE_CTX_set_error_depth(ctx, 0);
    X509_STORE_CTX_set_current_cert(ctx, leaf);
    X509_STORE_CTX_set_error(ctx, verify_error_for(verdict.reason));
  }
  return verdict;
}

peer_verdict certificate_policy::evaluate_chain(STACK_OF(X509)* verified_chain) const {
  const int size = verified_chain != nullptr ? sk_X509_num(verified_chain) : 0;
  if (size <= 0) return refusal(errc::chain_untrusted, "no verified chain");
  X509* leaf = sk_X509_value(verified_chain, 0);

  if (size - 1 > max_depth_) {
    return refusal(errc::chain_too_deep, "client certificate " + quoted_subject(leaf) + ": its chain has " +
                                             std::to_string(size - 1) +
                                             " CA certificates above it; trust.max_depth is " +
                                             std::to_string(max_depth_));
  }

  int critical = -1;
  const extended_key_usage_ptr ekus{
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(leaf, NID_ext_key_usage, &critical, nullptr))};
  if (!ekus) {
    return refusal(errc::eku_missing,
                   "client certificate " + quoted_subject(leaf) +
                       (critical == -1 ? std::string(" has no Extended Key Usage extension")
                                       : std::string(" has an unreadable Extended Key Usage extension")));
  }
  bool eku_ok = false;
  for (int i = 0; i < sk_ASN1_OBJECT_num(ekus.get()) && !eku_ok; ++i) {
    const ASN1_OBJECT* present = sk_ASN1_OBJECT_value(ekus.get(), i);
    for (const auto& required : required_ekus_) {
      if (OBJ_cmp(present, required.get()) == 0) {
        eku_ok = true;
        break;
      }
    }
  }
  if (!eku_ok) {
    std::string names;
    for (const auto& name : required_eku_names_) names += (names.empty() ? "" : ", ") + name;
    return refusal(errc::eku_missing, "client certificate " + quoted_subject(leaf) +
                                          " has none of the required EKUs (trust.required_ekus: " +
                                          names + ")");
  }

  if (!ntauth_.empty()) {
    X509* issuer = size >= 2 ? sk_X509_value(verified_chain, 1) : nullptr;
    bool listed = false;
    for (const auto& allowed : ntauth_) {
      if (issuer != nullptr && X509_cmp(issuer, allowed.get()) == 0) listed = true;
    }
    if (!listed) {
      return refusal(errc::issuer_not_ntauth,
                     "client certificate " + quoted_subject(leaf) + ": its issuer " +
                         (issuer != nullptr ? quoted_subject(issuer) : std::string("(itself)")) +
                         " is not in trust.ntauth");
    }
  }
  return {errc::ok, {}, true};
}

peer_verdict certificate_policy::verify(X509* leaf, const std::vector<X509*>& presented_chain,
                                        std::optional<std::time_t> at) const {
  const clear_errors_on_exit guard;
  x509_stack_view_ptr presented{sk_X509_new_null()};
  x509_store_ctx_ptr ctx{X509_STORE_CTX_new()};
  if (!presented || !ctx) return refusal(errc::chain_untrusted, "out of memory");
  sk_X509_push(presented.get(), leaf);
  for (X509* cert : presented_chain) sk_X509_push(presented.get(), cert);
  if (X509_STORE_CTX_init(ctx.get(), roots_.get(), leaf, presented.get()) != 1 ||
      X509_STORE_CTX_set_default(ctx.get(), "ssl_client") != 1) {
    return refusal(errc::chain_untrusted, "cannot set up verification: " + openssl_error_string());
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_depth(param, max_depth_);
  if (at) X509_VERIFY_PARAM_set_time(param, *at);
  return verify_in(ctx.get());
}

}  // namespace cba::tls
