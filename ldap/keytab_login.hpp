#pragma once
// The directory service account's Kerberos login for SASL GSSAPI binds: a TGT obtained from a keytab
// into a private MEMORY: credential cache that nothing else in the process uses.
//
// Why a ccache and not a GSS credential handle: libldap creates its SASL context inside
// ldap_sasl_interactive_bind_s, so LDAP_OPT_X_SASL_GSS_CREDS cannot be set before the bind starts.
// Cyrus's GSSAPI plugin then uses the default credential, which MIT resolves through the calling
// thread's default ccache (gss_krb5_ccache_name is per thread). bind_scope points that thread at this
// login's ccache for the duration of one bind and restores it afterwards.
//
// Thread safety: refresh() and bind_scope may be used from several blocking threads at once.
// krb5.conf: MIT reads KRB5_CONFIG (or /etc/krb5.conf) when a context is created; the proxy sets
// KRB5_CONFIG from kerberos.krb5_conf at start-up when that key is present.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace cba::ldap {

class keytab_login {
 public:
  // `principal` empty: the first principal in the keytab. Nothing talks to the KDC until refresh().
  keytab_login(std::string keytab, std::string principal);
  ~keytab_login();
  keytab_login(const keytab_login&) = delete;
  keytab_login& operator=(const keytab_login&) = delete;

  // Blocking (talks to the KDC when the TGT is missing or ends within `margin`). Returns an empty
  // string on success, else a message naming the keytab, the principal and the KDC's answer.
  std::string refresh(std::chrono::seconds margin = std::chrono::minutes(5));

  const std::string& ccache_name() const noexcept { return ccache_name_; }
  const std::string& principal() const noexcept { return principal_; }

 private:
  struct krb5_state;
  std::string keytab_;
  std::string principal_;  // resolved on the first refresh when configured empty
  std::string ccache_name_;
  std::mutex mutex_;
  std::optional<std::chrono::system_clock::time_point> tgt_end_;
};

// Makes `ccache` the calling thread's default GSSAPI ccache until destroyed.
class bind_scope {
 public:
  explicit bind_scope(const std::string& ccache);
  ~bind_scope();
  bind_scope(const bind_scope&) = delete;
  bind_scope& operator=(const bind_scope&) = delete;

 private:
  std::optional<std::string> previous_;
};

}  // namespace cba::ldap
