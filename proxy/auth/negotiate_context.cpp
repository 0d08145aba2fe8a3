#include "proxy/auth/negotiate_context.hpp"

#include "proxy/auth/initiator.hpp"

#include <boost/beast/core/detail/base64.hpp>

#include <cctype>

namespace cba::auth {
namespace {

bool is_space(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool decode_base64(std::string_view in, std::string& out) {
  namespace b64 = boost::beast::detail::base64;
  if (in.empty() || in.size() % 4 != 0) return false;
  out.assign(b64::decoded_size(in.size()), '\0');
  // Beast's decoder stops at the padding and does not count it as read.
  std::size_t data = in.size();
  for (int pad = 0; pad < 2 && data > 0 && in[data - 1] == '='; ++pad) --data;
  const auto [written, read] = b64::decode(out.data(), in.data(), in.size());
  if (read != data) return false;
  out.resize(written);
  return true;
}

delegation_error failed(std::string detail) { return make_delegation_error(errc::mutual_auth_failed, std::move(detail)); }

}  // namespace

delegation_error negotiate_context::verify_reply(std::string_view www_authenticate_value) {
  const std::string_view v = trim(www_authenticate_value);
  constexpr std::string_view scheme = "negotiate";
  bool is_negotiate = v.size() >= scheme.size();
  for (std::size_t i = 0; is_negotiate && i < scheme.size(); ++i) {
    is_negotiate = std::tolower(static_cast<unsigned char>(v[i])) == scheme[i];
  }
  if (!is_negotiate || (v.size() > scheme.size() && !is_space(v[scheme.size()]))) {
    return failed("the upstream's WWW-Authenticate is not Negotiate");
  }
  return verify_reply_token(trim(v.substr(scheme.size())));
}

delegation_error negotiate_context::verify_reply_token(std::string_view token_base64) {
  if (established_) return failed("the Negotiate context is already established");
  if (!ctx_) return failed("no Negotiate context to verify the upstream's reply against");
  if (token_base64.empty()) return failed("the upstream's Negotiate reply carries no mutual-authentication token");
  std::string token;
  if (!decode_base64(token_base64, token)) return failed("the upstream's Negotiate token is not valid base64");

  gss_channel_bindings_struct cb = make_channel_bindings(channel_binding_);
  gss_buffer_desc in = gss_input(token);
  OM_uint32 minor = 0;
  gss_buffer out;
  const OM_uint32 major = gss_init_sec_context(
      &minor, GSS_C_NO_CREDENTIAL, ctx_.inout(), target_.get(), spnego_mech(),
      GSS_C_MUTUAL_FLAG | GSS_C_SEQUENCE_FLAG, GSS_C_INDEFINITE, channel_bound_ ? &cb : GSS_C_NO_CHANNEL_BINDINGS,
      &in, nullptr, out.put(), nullptr, nullptr);
  if (GSS_ERROR(major) != 0U) {
    ctx_.reset();  // a failed continuation leaves the context unusable
    return failed(gss_status_text("verifying the upstream's Negotiate reply for " + spn_, major, minor));
  }
  if ((major & GSS_S_CONTINUE_NEEDED) != 0U) {
    return failed("the upstream's Negotiate reply for " + spn_ + " did not complete mutual authentication");
  }
  established_ = true;
  return {};
}

}  // namespace cba::auth
