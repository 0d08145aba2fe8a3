#include "proxy/auth/gss_handles.hpp"

#include <krb5/krb5.h>

#include <array>

namespace cba::auth {

OM_uint32 release_gss_ctx(OM_uint32* minor, gss_ctx_id_t* ctx) {
  return gss_delete_sec_context(minor, ctx, GSS_C_NO_BUFFER);
}

void gss_buffer::reset() noexcept {
  if (b_.value != nullptr) {
    OM_uint32 minor = 0;
    gss_release_buffer(&minor, &b_);
  }
  b_ = gss_buffer_desc{0, nullptr};
}

namespace {

std::string status_messages(OM_uint32 code, int type, gss_OID mech) {
  std::string out;
  OM_uint32 more = 0;
  do {
    OM_uint32 minor = 0;
    gss_buffer text;
    const OM_uint32 major = gss_display_status(&minor, code, type, mech, &more, text.put());
    if (GSS_ERROR(major) != 0U) break;
    if (!out.empty()) out += "; ";
    out += text.view();
  } while (more != 0);
  return out;
}

// The mechglue only knows minor codes it has handed out itself; for others ask com_err via krb5.
std::string minor_text(OM_uint32 minor, gss_OID mech) {
  std::string text = status_messages(minor, GSS_C_MECH_CODE, mech);
  if (!text.empty() && text.find("Unknown code") == std::string::npos) return text;
  const char* m = krb5_get_error_message(nullptr, static_cast<krb5_error_code>(minor));
  if (m != nullptr) {
    text = m;
    krb5_free_error_message(nullptr, m);
  }
  return text;
}

// DER of 1.3.6.1.5.5.2 (SPNEGO).
std::array<unsigned char, 6> spnego_der{0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
gss_OID_desc spnego_oid{6, spnego_der.data()};
gss_OID_set_desc spnego_set{1, &spnego_oid};

}  // namespace

std::string gss_status_text(std::string_view what, OM_uint32 major, OM_uint32 minor, gss_OID mech) {
  std::string out(what);
  out += ": ";
  const std::string major_text = status_messages(major, GSS_C_GSS_CODE, GSS_C_NO_OID);
  const std::string mech_text = minor != 0 ? minor_text(minor, mech) : std::string();
  // "Unspecified GSS failure.  Minor code may provide more information" says nothing: the minor does.
  if (!mech_text.empty() && GSS_ROUTINE_ERROR(major) == GSS_S_FAILURE) {
    out += mech_text;
  } else {
    out += major_text.empty() ? "GSS major " + std::to_string(major) : major_text;
    if (!mech_text.empty()) out += " (" + mech_text + ")";
  }
  return out;
}

gss_OID spnego_mech() noexcept { return &spnego_oid; }
gss_OID_set spnego_mech_set() noexcept { return &spnego_set; }

}  // namespace cba::auth
