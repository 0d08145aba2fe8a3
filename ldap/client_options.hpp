#pragma once
// What the LDAP client needs to know; proxy/wiring.cpp fills it from config::ldap_config.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace cba::ldap {

struct client_options {
  std::vector<std::string> urls;  // ldap:// or ldaps://, tried in order
  bool start_tls = false;         // StartTLS on ldap:// URLs
  std::string ca_file;            // PEM bundle the server certificate is verified against
  enum class bind_method { simple, gssapi };
  bind_method bind = bind_method::simple;
  std::string bind_dn;            // simple bind
  std::string bind_password_file; // simple: read once at start-up; trailing CR/LF ignored
  std::string bind_keytab;        // gssapi: the service account's keytab
  std::string bind_principal;     // gssapi: empty = the keytab's first principal
  std::string base_dn;
  std::string user_filter = "(&(objectCategory=person)(objectClass=user)(userPrincipalName={upn}))";
  std::chrono::milliseconds timeout{3000};  // per lookup (connect, search and base read together)
  std::size_t pool_size = 4;
  // Retry delay for a server that failed: initial, doubled per consecutive failure, capped.
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{10000};
};

}  // namespace cba::ldap
