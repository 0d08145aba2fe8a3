#include "tests/support/test_process_setup.hpp"

#include <csignal>
#include <cstdlib>

namespace cba::test {

void set_up_test_process(const std::string& default_pki_dir, const std::string& default_lab_dir) {
  std::signal(SIGPIPE, SIG_IGN);
  ::setenv("CBA_TEST_PKI_DIR", default_pki_dir.c_str(), 0);
  ::setenv("CBA_LAB_DIR", default_lab_dir.c_str(), 0);
}

}  // namespace cba::test
