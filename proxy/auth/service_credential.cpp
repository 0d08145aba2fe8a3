#include "proxy/auth/service_credential.hpp"

#include "proxy/auth/kdc_error.hpp"

#include <krb5/krb5.h>

#include <array>

namespace cba::auth {
namespace {

// MEMORY: ccaches live in a process-wide list until destroyed; gss_release_cred only closes them.
void destroy_ccache(const std::string& name) noexcept {
  krb5_context ctx = nullptr;
  if (krb5_init_context(&ctx) != 0) return;
  krb5_ccache cc = nullptr;
  if (krb5_cc_resolve(ctx, name.c_str(), &cc) == 0) krb5_cc_destroy(ctx, cc);
  krb5_free_context(ctx);
}

}  // namespace

boost::system::result<std::shared_ptr<service_credential>, delegation_error> service_credential::acquire(
    const std::string& principal, const std::string& keytab, const std::string& ccache_name) {
  std::shared_ptr<service_credential> out(new service_credential());
  out->ccache_name_ = ccache_name;

  gss_buffer_desc in = gss_input(principal);
  OM_uint32 minor = 0;
  gss_name name;
  OM_uint32 major = gss_import_name(&minor, &in, GSS_KRB5_NT_PRINCIPAL_NAME, name.put());
  if (GSS_ERROR(major) != 0U) {
    return make_delegation_error(errc::delegation_not_allowed,
                                 gss_status_text("kerberos.principal " + principal, major, minor));
  }
  std::array<gss_key_value_element_desc, 2> elements{{{"client_keytab", keytab.c_str()},
                                                      {"ccache", ccache_name.c_str()}}};
  const gss_key_value_set_desc store{static_cast<OM_uint32>(elements.size()), elements.data()};
  OM_uint32 lifetime = 0;
  const auto now = clock::now();
  major = gss_acquire_cred_from(&minor, name.get(), GSS_C_INDEFINITE, spnego_mech_set(), GSS_C_INITIATE, &store,
                                out->cred_.put(), nullptr, &lifetime);
  if (GSS_ERROR(major) != 0U) {
    // SPNEGO reports every krb5 failure as "cannot find mechanisms to negotiate"; ask krb5 alone for
    // the real reason (unreachable KDC, bad key) so the error can be classified.
    gss_OID_set_desc krb5_only{1, gss_mech_krb5};
    gss_cred probe;
    OM_uint32 probe_minor = 0;
    const OM_uint32 probe_major = gss_acquire_cred_from(&probe_minor, name.get(), GSS_C_INDEFINITE, &krb5_only,
                                                        GSS_C_INITIATE, &store, probe.put(), nullptr, nullptr);
    if (GSS_ERROR(probe_major) != 0U) {
      major = probe_major;
      minor = probe_minor;
    }
    return classify_gss_failure("service credential for " + principal + " from keytab " + keytab, major, minor,
                                errc::delegation_not_allowed);
  }
  out->expires_at_ = now + std::chrono::seconds(lifetime);
  return out;
}

service_credential::~service_credential() {
  cred_.reset();
  if (!ccache_name_.empty()) destroy_ccache(ccache_name_);
}

}  // namespace cba::auth
