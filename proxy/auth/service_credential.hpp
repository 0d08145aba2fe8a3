#pragma once
// The proxy's own Kerberos credential (its TGT), from kerberos.keytab through an explicit credential
// store: `client_keytab` = the keytab, `ccache` = a MEMORY: ccache private to this object (destroyed
// with it). Never the process default ccache or keytab. Acquiring talks to the KDC: pool only.

#include "proxy/auth/delegation_error.hpp"
#include "proxy/auth/gss_handles.hpp"

#include <boost/system/result.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace cba::auth {

class service_credential {
 public:
  using clock = std::chrono::steady_clock;

  // `ccache_name` must be unique in the process ("MEMORY:cba-proxy-svc-7-1").
  static boost::system::result<std::shared_ptr<service_credential>, delegation_error> acquire(
      const std::string& principal, const std::string& keytab, const std::string& ccache_name);

  gss_cred_id_t get() const noexcept { return cred_.get(); }
  clock::time_point expires_at() const noexcept { return expires_at_; }
  const std::string& ccache_name() const noexcept { return ccache_name_; }

  ~service_credential();
  service_credential(const service_credential&) = delete;
  service_credential& operator=(const service_credential&) = delete;

 private:
  service_credential() = default;
  gss_cred cred_;
  std::string ccache_name_;
  clock::time_point expires_at_{};
};

}  // namespace cba::auth
