#include "tests/auth/test_acceptor.hpp"

#include "proxy/auth/initiator.hpp"

#include <boost/beast/core/detail/base64.hpp>

#include <array>
#include <stdexcept>

namespace cba::test {

namespace b64 = boost::beast::detail::base64;
using cba::auth::gss_buffer;
using cba::auth::gss_ctx;
using cba::auth::gss_input;
using cba::auth::gss_name;
using cba::auth::gss_status_text;

std::string base64_encode(std::string_view bytes) {
  std::string out(b64::encoded_size(bytes.size()), '\0');
  out.resize(b64::encode(out.data(), bytes.data(), bytes.size()));
  return out;
}

std::string base64_decode(std::string_view text) {
  std::string out(b64::decoded_size(text.size()), '\0');
  out.resize(b64::decode(out.data(), text.data(), text.size()).first);
  return out;
}

test_acceptor::test_acceptor(const std::string& keytab) {
  std::array<gss_key_value_element_desc, 1> elements{{{"keytab", keytab.c_str()}}};
  const gss_key_value_set_desc store{1, elements.data()};
  OM_uint32 minor = 0;
  const OM_uint32 major = gss_acquire_cred_from(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, GSS_C_NO_OID_SET,
                                                GSS_C_ACCEPT, &store, cred_.put(), nullptr, nullptr);
  if (GSS_ERROR(major) != 0U) throw std::runtime_error(gss_status_text("acceptor credential from " + keytab, major, minor));
}

accept_outcome test_acceptor::accept(std::string_view authorization,
                                     const std::optional<std::string>& channel_binding) const {
  accept_outcome out;
  constexpr std::string_view prefix = "Negotiate ";
  if (authorization.substr(0, prefix.size()) != prefix) {
    out.major = GSS_S_DEFECTIVE_TOKEN;
    out.detail = "not a Negotiate authorization";
    return out;
  }
  const std::string token = base64_decode(authorization.substr(prefix.size()));
  gss_buffer_desc in = gss_input(token);
  gss_channel_bindings_struct cb{};
  if (channel_binding) cb = cba::auth::make_channel_bindings(*channel_binding);

  gss_ctx ctx;
  gss_name source;
  gss_buffer reply;
  OM_uint32 flags = 0;
  out.major = gss_accept_sec_context(&out.minor, ctx.inout(), cred_.get(), &in,
                                     channel_binding ? &cb : GSS_C_NO_CHANNEL_BINDINGS, source.put(), nullptr,
                                     reply.put(), &flags, nullptr, nullptr);
  if (GSS_ERROR(out.major) != 0U) {
    out.detail = gss_status_text("gss_accept_sec_context", out.major, out.minor);
    return out;
  }
  OM_uint32 minor = 0;
  gss_buffer name;
  gss_display_name(&minor, source.get(), name.put(), nullptr);
  out.source_name = std::string(name.view());
  out.reply_base64 = base64_encode(reply.view());
  out.channel_bound = (flags & GSS_C_CHANNEL_BOUND_FLAG) != 0U;
  out.delegated = (flags & GSS_C_DELEG_FLAG) != 0U;
  return out;
}

}  // namespace cba::test
