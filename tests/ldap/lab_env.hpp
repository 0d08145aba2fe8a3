#pragma once
// The Samba AD lab for tests: LABDIR/lab.env (written by tests/lab/samba-up) and start/stop helpers.
// ctest starts the lab once per run (fixture `lab`, tests/lab/CMakeLists.txt) and passes CBA_LAB_DIR.

#include "ldap/directory.hpp"
#include "ldap/ldap_directory.hpp"

#include <chrono>
#include <map>
#include <string>

namespace cba::test {

class lab_env {
 public:
  // Reads $CBA_LAB_DIR/lab.env once; throws std::runtime_error saying how to start the lab.
  static const lab_env& get();
  const std::string& dir() const { return dir_; }
  // A lab.env variable (LAB_LDAPS_URL, LAB_ALICE_SID, ...); throws when absent.
  const std::string& at(const std::string& key) const;

  // Options for the lab DC: svc-cba simple bind, the lab CA, base DN, cache off unless changed.
  ldap::ldap_directory_options options(const std::string& url) const;

  // tests/lab/samba-down / samba-up on this lab; true on success (output in `log`).
  bool samba_down(std::string& log) const;
  bool samba_up(std::string& log) const;

 private:
  std::string dir_;
  std::map<std::string, std::string> vars_;
};

// Samba stopped for an outage test, started again when this goes out of scope whatever the test did
// (the other lab tests need it). stopped() and log() say how the stop went.
class samba_outage {
 public:
  explicit samba_outage(const lab_env& lab) : lab_(lab), stopped_(lab.samba_down(log_)) {}
  ~samba_outage() {
    std::string ignored;
    lab_.samba_up(ignored);
  }
  samba_outage(const samba_outage&) = delete;
  samba_outage& operator=(const samba_outage&) = delete;
  bool stopped() const { return stopped_; }
  const std::string& log() const { return log_; }

 private:
  const lab_env& lab_;
  std::string log_;
  bool stopped_;
};

// co_awaits dir.lookup(upn) on a private io_context (the way a session would, from another thread).
ldap::lookup_result lookup_now(ldap::directory& dir, const std::string& upn,
                               std::chrono::seconds limit = std::chrono::seconds(30));

}  // namespace cba::test
