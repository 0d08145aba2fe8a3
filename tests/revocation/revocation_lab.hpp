#pragma once
// The revocation tests' world: a PKI run with `openssl ca` (make-revocation-pki.sh) in a temp dir, and a
// loopback HTTP server (127.0.0.1, port 0) serving its CRLs by GET and answering OCSP POSTs by passing
// each request through `openssl ocsp -index ... -reqin/-respout` (never `openssl ocsp -port`, which
// listens on every interface). Counts hits per path; can be taken down, slowed, or made to serve a
// different body. One per test case.

#include "proxy/revocation/checker.hpp"
#include "tests/support/temp_dir.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace cba::test {

class revocation_lab {
 public:
  revocation_lab();
  ~revocation_lab();
  revocation_lab(const revocation_lab&) = delete;
  revocation_lab& operator=(const revocation_lab&) = delete;

  std::string file(const std::string& name) const { return dir_.file(name); }
  unsigned short port() const noexcept { return port_; }
  std::string url(const std::string& path) const;  // http://127.0.0.1:PORT/path

  // `openssl ca -revoke` (keyCompromise) in `ca`'s database, then a new CRL for it (PEM and DER).
  void revoke(const std::string& ca, const std::string& leaf);
  void gencrl(const std::string& ca, long seconds = 86400);

  // [leaf, issuing-ca, root-ca] as the handshake would have verified it.
  revocation::checker::chain chain(const std::string& leaf) const;
  // trust.roots / intermediates of this PKI, revocation settings left at their defaults.
  config::trust_config trust() const;

  std::size_t hits(const std::string& path) const;  // requests that reached `path` ("/issuing-ca.crl")
  void set_down(bool down) { down_ = down; }        // close every connection without an answer
  void set_delay(std::chrono::milliseconds delay) { delay_ms_ = delay.count(); }
  void serve_instead(const std::string& path, std::string body);

 private:
  void serve();
  std::string answer(const std::string& method, const std::string& target, const std::string& body,
                     unsigned& status);

  temp_dir dir_;
  struct server_state;
  std::unique_ptr<server_state> server_;
  unsigned short port_ = 0;
  std::thread thread_;
  std::atomic<bool> down_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<long> delay_ms_{0};
  mutable std::mutex mutex_;
  std::map<std::string, std::size_t> hits_;
  std::map<std::string, std::string> overrides_;
  std::size_t ocsp_seq_ = 0;
};

}  // namespace cba::test
