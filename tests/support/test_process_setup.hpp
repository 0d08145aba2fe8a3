#pragma once
// The start of a test binary that talks to real peers (curl, libldap, the Samba lab): call it from a
// namespace-scope initializer, before any thread exists.

#include <string>

namespace cba::test {

// Ignores SIGPIPE (like cba-proxy's main: a peer may close a socket we still write to) and sets
// CBA_TEST_PKI_DIR and CBA_LAB_DIR to the build's defaults unless the environment already has them,
// so a binary run by hand finds what ctest would give it.
void set_up_test_process(const std::string& default_pki_dir, const std::string& default_lab_dir);

}  // namespace cba::test
