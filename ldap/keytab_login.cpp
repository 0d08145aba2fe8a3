#include "ldap/keytab_login.hpp"

#include <gssapi/gssapi_krb5.h>
#include <krb5.h>

#include <cstdint>
#include <type_traits>

namespace cba::ldap {
namespace {

// RAII for the krb5 handles one refresh uses; every handle but the context needs the context to free.
struct context_deleter {
  void operator()(krb5_context c) const noexcept { krb5_free_context(c); }
};
using context_ptr = std::unique_ptr<std::remove_pointer_t<krb5_context>, context_deleter>;

template <typename Handle, void (*Free)(krb5_context, Handle)>
class krb5_handle {
 public:
  explicit krb5_handle(krb5_context ctx) : ctx_(ctx) {}
  ~krb5_handle() {
    if (handle_ != nullptr) Free(ctx_, handle_);
  }
  krb5_handle(const krb5_handle&) = delete;
  krb5_handle& operator=(const krb5_handle&) = delete;
  Handle* out() noexcept { return &handle_; }
  Handle get() const noexcept { return handle_; }

 private:
  krb5_context ctx_;
  Handle handle_ = nullptr;
};

void close_keytab(krb5_context c, krb5_keytab k) { krb5_kt_close(c, k); }
void free_principal(krb5_context c, krb5_principal p) { krb5_free_principal(c, p); }
void close_ccache(krb5_context c, krb5_ccache cc) { krb5_cc_close(c, cc); }
void free_options(krb5_context c, krb5_get_init_creds_opt* o) { krb5_get_init_creds_opt_free(c, o); }

using keytab_handle = krb5_handle<krb5_keytab, close_keytab>;
using principal_handle = krb5_handle<krb5_principal, free_principal>;
using ccache_handle = krb5_handle<krb5_ccache, close_ccache>;
using options_handle = krb5_handle<krb5_get_init_creds_opt*, free_options>;

std::string krb5_message(krb5_context ctx, krb5_error_code code) {
  const char* text = krb5_get_error_message(ctx, code);
  std::string message = text != nullptr ? text : "Kerberos error " + std::to_string(code);
  krb5_free_error_message(ctx, text);
  return message;
}

// Unique in the process while the login lives (its address), and destroyed with it.
std::string ccache_name_for(const void* owner) {
  return "MEMORY:cba-ldap-" + std::to_string(reinterpret_cast<std::uintptr_t>(owner));
}

// The keytab's first principal, for configs that name only the keytab.
std::string first_principal(krb5_context ctx, krb5_keytab kt, std::string& error) {
  krb5_kt_cursor cursor{};
  if (auto rc = krb5_kt_start_seq_get(ctx, kt, &cursor); rc != 0) {
    error = krb5_message(ctx, rc);
    return {};
  }
  krb5_keytab_entry entry{};
  std::string name;
  if (auto rc = krb5_kt_next_entry(ctx, kt, &entry, &cursor); rc == 0) {
    char* text = nullptr;
    if (krb5_unparse_name(ctx, entry.principal, &text) == 0) {
      name = text;
      krb5_free_unparsed_name(ctx, text);
    }
    krb5_free_keytab_entry_contents(ctx, &entry);
  } else {
    error = rc == KRB5_KT_END ? "the keytab has no entries" : krb5_message(ctx, rc);
  }
  krb5_kt_end_seq_get(ctx, kt, &cursor);
  return name;
}

}  // namespace

keytab_login::keytab_login(std::string keytab, std::string principal)
    : keytab_(std::move(keytab)), principal_(std::move(principal)), ccache_name_(ccache_name_for(this)) {}

keytab_login::~keytab_login() {
  krb5_context raw = nullptr;
  if (krb5_init_context(&raw) != 0) return;
  const context_ptr ctx(raw);
  krb5_ccache cc = nullptr;
  if (krb5_cc_resolve(ctx.get(), ccache_name_.c_str(), &cc) == 0) krb5_cc_destroy(ctx.get(), cc);
}

std::string keytab_login::refresh(std::chrono::seconds margin) {
  const std::lock_guard lock(mutex_);
  const auto now = std::chrono::system_clock::now();
  if (tgt_end_ && *tgt_end_ - now > margin) return {};

  krb5_context raw = nullptr;
  if (auto rc = krb5_init_context(&raw); rc != 0) {
    return "cannot initialise Kerberos (check KRB5_CONFIG / kerberos.krb5_conf): error " + std::to_string(rc);
  }
  const context_ptr ctx(raw);
  const std::string where = "Kerberos login from keytab " + keytab_;
  keytab_handle kt(ctx.get());
  if (auto rc = krb5_kt_resolve(ctx.get(), ("FILE:" + keytab_).c_str(), kt.out()); rc != 0) {
    return where + ": " + krb5_message(ctx.get(), rc);
  }
  if (principal_.empty()) {
    std::string error;
    principal_ = first_principal(ctx.get(), kt.get(), error);
    if (principal_.empty()) return where + ": " + error;
  }
  const std::string as = where + " as " + principal_;
  principal_handle client(ctx.get());
  if (auto rc = krb5_parse_name(ctx.get(), principal_.c_str(), client.out()); rc != 0) {
    return as + ": " + krb5_message(ctx.get(), rc);
  }
  options_handle options(ctx.get());
  if (auto rc = krb5_get_init_creds_opt_alloc(ctx.get(), options.out()); rc != 0) {
    return as + ": " + krb5_message(ctx.get(), rc);
  }
  krb5_creds creds{};
  if (auto rc = krb5_get_init_creds_keytab(ctx.get(), &creds, client.get(), kt.get(), 0, nullptr, options.get());
      rc != 0) {
    return as + ": " + krb5_message(ctx.get(), rc);
  }
  const auto ends = std::chrono::system_clock::from_time_t(static_cast<std::time_t>(creds.times.endtime));
  ccache_handle cc(ctx.get());
  krb5_error_code rc = krb5_cc_resolve(ctx.get(), ccache_name_.c_str(), cc.out());
  if (rc == 0) rc = krb5_cc_initialize(ctx.get(), cc.get(), client.get());
  if (rc == 0) rc = krb5_cc_store_cred(ctx.get(), cc.get(), &creds);
  krb5_free_cred_contents(ctx.get(), &creds);
  if (rc != 0) return as + ": storing the ticket: " + krb5_message(ctx.get(), rc);
  tgt_end_ = ends;
  return {};
}

bind_scope::bind_scope(const std::string& ccache) {
  OM_uint32 minor = 0;
  const char* previous = nullptr;
  if (gss_krb5_ccache_name(&minor, ccache.c_str(), &previous) == GSS_S_COMPLETE && previous != nullptr) {
    previous_ = previous;
  }
}

bind_scope::~bind_scope() {
  OM_uint32 minor = 0;
  gss_krb5_ccache_name(&minor, previous_ ? previous_->c_str() : nullptr, nullptr);
}

}  // namespace cba::ldap
