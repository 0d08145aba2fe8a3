#pragma once
// kerberos.krb5_conf applied to the process. MIT krb5 reads KRB5_CONFIG whenever it creates a library
// context (GSSAPI creates one per call) and offers GSSAPI callers no per-call alternative, so the
// only way to name a krb5.conf is the environment: call this once at start-up, BEFORE any thread is
// started or uses krb5 (setenv races with getenv in other threads). An empty path leaves the
// environment alone (MIT's default, /etc/krb5.conf, or a KRB5_CONFIG set by the operator).

#include <string>

namespace cba::auth {

// Sets KRB5_CONFIG to `krb5_conf`. Throws std::runtime_error when the file cannot be read.
void use_krb5_config(const std::string& krb5_conf);

}  // namespace cba::auth
