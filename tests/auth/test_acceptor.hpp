#pragma once
// The project's own Negotiate acceptor for tests: gss_accept_sec_context with a service keytab
// (gss_acquire_cred_from `keytab`), optionally with TLS channel bindings, as Exchange with Extended
// Protection would run it. One token in, the verdict and the reply token out.

#include "proxy/auth/gss_handles.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace cba::test {

struct accept_outcome {
  OM_uint32 major = 0;
  OM_uint32 minor = 0;
  std::string detail;        // GSS text when it failed
  std::string source_name;   // "alice@EXAMPLE.TEST" once accepted
  std::string reply_base64;  // the mutual-authentication token for WWW-Authenticate
  bool channel_bound = false;  // GSS_C_CHANNEL_BOUND_FLAG: the initiator's bindings matched ours
  bool delegated = false;      // GSS_C_DELEG_FLAG: the initiator forwarded a TGT (it must not)
  bool accepted() const noexcept { return GSS_ERROR(major) == 0U; }
};

class test_acceptor {
 public:
  // Throws std::runtime_error when the keytab gives no acceptor credential.
  explicit test_acceptor(const std::string& keytab);

  // `authorization`: "Negotiate <base64>" as the proxy sent it. `channel_binding`: the acceptor's own
  // application data (nullopt: the acceptor checks none).
  accept_outcome accept(std::string_view authorization, const std::optional<std::string>& channel_binding) const;

 private:
  cba::auth::gss_cred cred_;
};

std::string base64_encode(std::string_view bytes);
std::string base64_decode(std::string_view text);

}  // namespace cba::test
