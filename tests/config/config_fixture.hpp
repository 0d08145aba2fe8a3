#pragma once
// A temporary folder holding the files a config references, and helpers to load YAML against it.

#include "config/load.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace cba::config::test {

class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cba-config-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) FAIL("mkdtemp failed");
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  std::string abs(const std::string& relative) const { return (path_ / relative).lexically_normal().string(); }

  void write(const std::string& relative, const std::string& content) const {
    const auto p = path_ / relative;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
  }

 private:
  std::filesystem::path path_;
};

inline const std::string users_yaml =
    "accounts:\n"
    "  - upn: alice@example.test\n"
    "    sam_account_name: alice\n"
    "    sid: S-1-5-21-1004336348-1177238915-682003330-1104\n"
    "    dn: \"CN=Alice,CN=Users,DC=example,DC=test\"\n"
    "  - upn: bob@example.test\n"
    "    sam_account_name: bob\n"
    "    disabled: true\n";

// A folder with every file the configs of these tests reference (content is opaque to the loader).
class config_dir : public temp_dir {
 public:
  config_dir() {
    for (const char* f : {"tls/server-chain.pem", "tls/server.key", "pki/roots.pem", "pki/intermediates.pem",
                          "pki/ntauth.pem", "pki/exchange-ca.pem", "pki/ldap-ca.pem", "pki/issuing.crl",
                          "tls/ticket.key", "secrets/ldap.pw", "secrets/svc-cba.keytab", "krb5.conf"}) {
      write(f, "x\n");
    }
    write("users.yaml", users_yaml);
  }
};

// The smallest config that loads: header mode, file directory, UPN mapping.
inline const std::string minimal_yaml =
    "listeners:\n"
    "  - name: edge\n"
    "    address: \"127.0.0.1:0\"\n"
    "    tls:\n"
    "      certificate_chain: tls/server-chain.pem\n"
    "      private_key: tls/server.key\n"
    "trust:\n"
    "  roots: pki/roots.pem\n"
    "directory:\n"
    "  type: file\n"
    "  file: {path: users.yaml}\n"
    "  certificate_mapping: upn\n"
    "upstreams:\n"
    "  - name: app\n"
    "    url: http://127.0.0.1:8080\n"
    "routes:\n"
    "  - path_prefix: /\n"
    "    upstream: app\n";

// Records every call; refuses paths whose file name is listed in `refuse`.
class fake_checker : public referenced_file_checker {
 public:
  std::map<std::string, std::string> refuse;  // file name -> message
  mutable std::vector<std::pair<file_kind, std::string>> calls;

  std::optional<std::string> check(file_kind kind, const std::string& path) const override {
    calls.emplace_back(kind, path);
    const auto it = refuse.find(std::filesystem::path(path).filename().string());
    if (it == refuse.end()) return std::nullopt;
    return it->second;
  }
};

inline load_result load(const config_dir& dir, const std::string& yaml,
                        const referenced_file_checker* checker = nullptr) {
  return load_text(yaml, "cba.yaml", dir.str(), checker);
}

inline std::string all_problems(const load_result& r) {
  std::string out;
  for (const auto& p : r.problems) out += format(p) + "\n";
  return out;
}

// The only problem at key_path (fails the test when there is none or several).
inline problem only_problem_at(const load_result& r, const std::string& key_path) {
  std::vector<problem> found;
  for (const auto& p : r.problems) {
    if (p.key_path == key_path) found.push_back(p);
  }
  INFO(all_problems(r));
  REQUIRE(found.size() == 1);
  return found.front();
}

// Replaces the first occurrence of `from` (which must exist) in `text`.
inline std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace cba::config::test
