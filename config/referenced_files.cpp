#include "config/referenced_files.hpp"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace cba::config {

std::optional<std::string> file_access_problem(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    if (ec && ec != std::errc::no_such_file_or_directory) return "cannot access " + path + ": " + ec.message();
    return "no such file: " + path;
  }
  if (!std::filesystem::is_regular_file(status)) return "not a regular file: " + path;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return "cannot read " + path + ": " + std::generic_category().message(errno);
  }
  return std::nullopt;
}

namespace {

class file_checks {
 public:
  file_checks(const located_sink& problems, const referenced_file_checker* checker)
      : problems_(&problems), checker_(checker) {}

  void operator()(const std::string& key_path, const std::string& path, file_kind kind) const {
    if (path.empty()) return;
    if (auto why = file_access_problem(path)) {
      problems_->add(key_path, *why);
      return;
    }
    if (checker_ == nullptr) return;
    if (auto why = checker_->check(kind, path)) problems_->add(key_path, *why);
  }

  void list(const std::string& key_path, const std::vector<std::string>& paths, file_kind kind) const {
    for (std::size_t i = 0; i < paths.size(); ++i) {
      (*this)(key_path + '[' + std::to_string(i) + ']', paths[i], kind);
    }
  }

 private:
  const located_sink* problems_;
  const referenced_file_checker* checker_;
};

}  // namespace

void check_referenced_files(const proxy_config& c, const located_sink& problems,
                            const referenced_file_checker* checker) {
  const file_checks check(problems, checker);
  for (std::size_t i = 0; i < c.listeners.size(); ++i) {
    const std::string at = "listeners[" + std::to_string(i) + "].tls.";
    const auto& tls = c.listeners[i].tls;
    check(at + "certificate_chain", tls.certificate_chain, file_kind::certificate_chain);
    check(at + "private_key", tls.private_key, file_kind::private_key);
    check.list(at + "session_tickets.key_files", tls.session_tickets.key_files, file_kind::ticket_key);
  }
  check("trust.roots", c.trust.roots, file_kind::ca_bundle);
  check("trust.intermediates", c.trust.intermediates, file_kind::ca_bundle);
  check("trust.ntauth", c.trust.ntauth, file_kind::ca_bundle);
  check.list("trust.revocation.crl_files", c.trust.revocation.crl_files, file_kind::crl);
  for (std::size_t i = 0; i < c.upstreams.size(); ++i) {
    check("upstreams[" + std::to_string(i) + "].tls.ca", c.upstreams[i].tls.ca, file_kind::ca_bundle);
  }
  const auto& ldap = c.directory.ldap;
  check("directory.ldap.ca", ldap.ca, file_kind::ca_bundle);
  check("directory.ldap.bind.password_file", ldap.bind.password_file, file_kind::secret);
  check("directory.ldap.bind.keytab", ldap.bind.keytab, file_kind::keytab);
  if (c.kerberos) {
    check("kerberos.keytab", c.kerberos->keytab, file_kind::keytab);
    check("kerberos.krb5_conf", c.kerberos->krb5_conf, file_kind::krb5_conf);
  }
}

}  // namespace cba::config
