#pragma once
// MIT GSSAPI handles as move-only RAII owners, declared once for the project, and the status text.
// No naked gss_release_* / gss_delete_sec_context elsewhere.

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>

#include <string>
#include <string_view>
#include <utility>

namespace cba::auth {

// Owns one GSS handle of type T, released by Release (which takes OM_uint32* minor and T*).
template <class T, OM_uint32 (*Release)(OM_uint32*, T*), T None>
class gss_handle {
 public:
  gss_handle() noexcept = default;
  explicit gss_handle(T h) noexcept : h_(h) {}
  gss_handle(gss_handle&& o) noexcept : h_(std::exchange(o.h_, None)) {}
  gss_handle& operator=(gss_handle&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = std::exchange(o.h_, None);
    }
    return *this;
  }
  gss_handle(const gss_handle&) = delete;
  gss_handle& operator=(const gss_handle&) = delete;
  ~gss_handle() { reset(); }

  T get() const noexcept { return h_; }
  // For out-parameters: releases the current handle first.
  T* put() noexcept {
    reset();
    return &h_;
  }
  // For in/out parameters (gss_init_sec_context's context): the library updates the handle in place.
  T* inout() noexcept { return &h_; }
  explicit operator bool() const noexcept { return h_ != None; }
  void reset() noexcept {
    if (h_ != None) {
      OM_uint32 minor = 0;
      Release(&minor, &h_);
      h_ = None;
    }
  }

 private:
  T h_ = None;
};

OM_uint32 release_gss_ctx(OM_uint32* minor, gss_ctx_id_t* ctx);  // gss_delete_sec_context

using gss_name = gss_handle<gss_name_t, gss_release_name, GSS_C_NO_NAME>;
using gss_cred = gss_handle<gss_cred_id_t, gss_release_cred, GSS_C_NO_CREDENTIAL>;
using gss_ctx = gss_handle<gss_ctx_id_t, release_gss_ctx, GSS_C_NO_CONTEXT>;

// A buffer the library allocated (output tokens, display names, status strings).
class gss_buffer {
 public:
  gss_buffer() noexcept = default;
  gss_buffer(gss_buffer&& o) noexcept : b_(std::exchange(o.b_, gss_buffer_desc{0, nullptr})) {}
  gss_buffer& operator=(gss_buffer&& o) noexcept {
    if (this != &o) {
      reset();
      b_ = std::exchange(o.b_, gss_buffer_desc{0, nullptr});
    }
    return *this;
  }
  gss_buffer(const gss_buffer&) = delete;
  gss_buffer& operator=(const gss_buffer&) = delete;
  ~gss_buffer() { reset(); }

  gss_buffer_t put() noexcept {
    reset();
    return &b_;
  }
  std::string_view view() const noexcept {
    return b_.value == nullptr ? std::string_view{} : std::string_view(static_cast<const char*>(b_.value), b_.length);
  }
  std::size_t size() const noexcept { return b_.length; }
  void reset() noexcept;

 private:
  gss_buffer_desc b_{0, nullptr};
};

// A non-owning input buffer over bytes the caller keeps alive.
inline gss_buffer_desc gss_input(std::string_view s) noexcept {
  return {s.size(), const_cast<char*>(s.data())};  // NOLINT: GSS input buffers are never written
}

// "what: <major text>: <minor text>" from gss_display_status (both status types, all messages).
std::string gss_status_text(std::string_view what, OM_uint32 major, OM_uint32 minor, gss_OID mech = GSS_C_NO_OID);

// The SPNEGO (1.3.6.1.5.5.2) and Kerberos 5 (1.2.840.113554.1.2.2) mechanism OIDs and sets.
gss_OID spnego_mech() noexcept;
gss_OID_set spnego_mech_set() noexcept;

}  // namespace cba::auth
