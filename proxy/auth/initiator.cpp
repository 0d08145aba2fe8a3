#include "proxy/auth/initiator.hpp"

#include "proxy/auth/kdc_error.hpp"

#include <boost/beast/core/detail/base64.hpp>

namespace cba::auth {
namespace {

constexpr OM_uint32 context_flags = GSS_C_MUTUAL_FLAG | GSS_C_SEQUENCE_FLAG;  // never GSS_C_DELEG_FLAG

std::string base64(std::string_view bytes) {
  namespace b64 = boost::beast::detail::base64;
  std::string out(b64::encoded_size(bytes.size()), '\0');
  out.resize(b64::encode(out.data(), bytes.data(), bytes.size()));
  return out;
}

}  // namespace

gss_channel_bindings_struct make_channel_bindings(const std::string& application_data) noexcept {
  gss_channel_bindings_struct cb{};
  cb.initiator_addrtype = GSS_C_AF_UNSPEC;
  cb.acceptor_addrtype = GSS_C_AF_UNSPEC;
  cb.application_data = gss_input(application_data);
  return cb;
}

boost::system::result<gss_name, delegation_error> initiator::target_name(const std::string& spn) {
  const auto slash = spn.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == spn.size()) {
    return make_delegation_error(errc::delegation_not_allowed,
                                 "service_principal \"" + spn + "\" is not of the form service/host[@REALM]");
  }
  const bool has_realm = spn.find('@', slash) != std::string::npos;
  // Without a realm the host-based form lets krb5 find the realm; with one, keep exactly that realm.
  const std::string text = has_realm ? spn : spn.substr(0, slash) + "@" + spn.substr(slash + 1);
  const gss_OID type = has_realm ? GSS_KRB5_NT_PRINCIPAL_NAME : GSS_C_NT_HOSTBASED_SERVICE;
  gss_buffer_desc in = gss_input(text);
  OM_uint32 minor = 0;
  gss_name name;
  const OM_uint32 major = gss_import_name(&minor, &in, type, name.put());
  if (GSS_ERROR(major) != 0U) {
    return make_delegation_error(errc::delegation_not_allowed,
                                 gss_status_text("importing service_principal " + spn, major, minor));
  }
  return name;
}

boost::system::result<impersonated, delegation_error> initiator::impersonate(gss_cred_id_t service_cred,
                                                                             const std::string& user_principal) {
  gss_buffer_desc in = gss_input(user_principal);
  OM_uint32 minor = 0;
  gss_name user;
  OM_uint32 major = gss_import_name(&minor, &in, GSS_KRB5_NT_PRINCIPAL_NAME, user.put());
  if (GSS_ERROR(major) != 0U) {
    return make_delegation_error(errc::delegation_refused,
                                 gss_status_text("importing user principal " + user_principal, major, minor));
  }
  impersonated out;
  OM_uint32 lifetime = 0;
  // SPNEGO here as well as in init_sec_context, else "SPNEGO cannot find mechanisms to negotiate".
  major = gss_acquire_cred_impersonate_name(&minor, service_cred, user.get(), GSS_C_INDEFINITE, spnego_mech_set(),
                                            GSS_C_INITIATE, out.cred.put(), nullptr, &lifetime);
  if (GSS_ERROR(major) != 0U) {
    return classify_gss_failure("S4U2Self for " + user_principal, major, minor, errc::delegation_refused);
  }
  out.lifetime = std::chrono::seconds(lifetime);
  return out;
}

boost::system::result<negotiate_context, delegation_error> initiator::first_token(
    gss_cred_id_t cred, const std::string& user_principal, const std::string& spn,
    const std::optional<std::string>& channel_binding, bool from_cache, std::chrono::seconds& lifetime) {
  auto target = target_name(spn);
  if (!target) return target.error();

  negotiate_context ctx;
  ctx.target_ = std::move(*target);
  ctx.user_ = user_principal;
  ctx.spn_ = spn;
  ctx.from_cache_ = from_cache;
  ctx.channel_bound_ = channel_binding.has_value();
  if (channel_binding) ctx.channel_binding_ = *channel_binding;
  gss_channel_bindings_struct cb = make_channel_bindings(ctx.channel_binding_);

  OM_uint32 minor = 0;
  OM_uint32 time_rec = 0;
  gss_buffer token;
  const OM_uint32 major = gss_init_sec_context(
      &minor, cred, ctx.ctx_.put(), ctx.target_.get(), spnego_mech(), context_flags, GSS_C_INDEFINITE,
      ctx.channel_bound_ ? &cb : GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER, nullptr, token.put(), nullptr, &time_rec);
  if (GSS_ERROR(major) != 0U) {
    return classify_gss_failure("S4U2Proxy for " + user_principal + " to " + spn, major, minor,
                                errc::delegation_not_allowed);
  }
  if (token.size() == 0) {
    return make_delegation_error(errc::delegation_not_allowed,
                                 "gss_init_sec_context for " + spn + " produced no token");
  }
  ctx.token_bytes_ = token.size();
  ctx.authorization_ = "Negotiate " + base64(token.view());
  // GSS_S_COMPLETE already would mean no mutual authentication; we always ask for it.
  ctx.established_ = false;
  lifetime = std::chrono::seconds(time_rec);
  return ctx;
}

}  // namespace cba::auth
