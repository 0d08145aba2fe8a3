#pragma once
// What the LDAP client authenticates with: a simple-bind password (only ever over TLS) or the
// service account's Kerberos login for a SASL GSSAPI bind.

#include "ldap/keytab_login.hpp"

#include <memory>
#include <string>

namespace cba::ldap {

struct bind_credentials {
  std::string password;                 // client_options::bind_method::simple
  std::shared_ptr<keytab_login> login;  // client_options::bind_method::gssapi
};

}  // namespace cba::ldap
