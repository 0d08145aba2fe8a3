#include "proxy/auth/krb5_environment.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace cba::auth {

void use_krb5_config(const std::string& krb5_conf) {
  if (krb5_conf.empty()) return;
  if (!std::ifstream(krb5_conf).good()) {
    throw std::runtime_error("kerberos.krb5_conf: cannot read " + krb5_conf);
  }
  // Process-wide on purpose: MIT krb5 offers GSSAPI callers no per-call configuration (see header).
  if (::setenv("KRB5_CONFIG", krb5_conf.c_str(), 1) != 0) {
    throw std::runtime_error("kerberos.krb5_conf: cannot set KRB5_CONFIG");
  }
}

}  // namespace cba::auth
