#pragma once
// parse -> validate -> freeze. Every problem is collected (not just the first) and names its place:
// "FILE:LINE:COL: key.path: message".

#include "config/config.hpp"

#include <optional>
#include <string>
#include <vector>

namespace cba::config {

struct problem {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  std::string key_path;  // "listeners[0].tls.min_version"
  std::string message;
};

// "FILE:LINE:COL: key.path: message"
std::string format(const problem& p);

enum class file_kind {
  certificate_chain,  // PEM, one or more certificates, leaf first
  private_key,        // PEM private key
  ca_bundle,          // PEM, one or more CA certificates
  crl,                // PEM or DER CRL
  secret,             // a password file (never read into messages)
  keytab,
  ticket_key,         // session ticket key file
  krb5_conf,
};

// Content checks that need libraries config/ must not know (OpenSSL). proxy/tls provides the real one.
class referenced_file_checker {
 public:
  virtual ~referenced_file_checker() = default;
  // nullopt when the file's content is usable, else a message ("no certificate found in PEM data").
  virtual std::optional<std::string> check(file_kind kind, const std::string& path) const = 0;
};

struct load_result {
  std::optional<proxy_config> config;  // set only when problems is empty
  std::vector<problem> problems;
};

// Reads and validates the file. `checker` may be null (then only existence/readability is checked).
load_result load_file(const std::string& path, const referenced_file_checker* checker);
// Same, for YAML text already in memory (tests); relative paths resolve against `base_dir`.
load_result load_text(const std::string& yaml_text, const std::string& display_name,
                      const std::string& base_dir, const referenced_file_checker* checker);

}  // namespace cba::config
