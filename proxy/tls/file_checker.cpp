#include "proxy/tls/file_checker.hpp"

#include "proxy/tls/pem.hpp"
#include "proxy/tls/session_ticket_keys.hpp"
#include "proxy/tls/x509_facts.hpp"

#include <fstream>
#include <iterator>

namespace cba::tls {

std::optional<std::string> openssl_file_checker::check(config::file_kind kind,
                                                       const std::string& path) const {
  switch (kind) {
    case config::file_kind::certificate_chain: {
      auto certs = read_certificates(path);
      if (!certs) return certs.error;
      return std::nullopt;
    }
    case config::file_kind::private_key: {
      auto key = read_private_key(path);
      if (!key) return key.error;
      return std::nullopt;
    }
    case config::file_kind::ca_bundle: {
      auto certs = read_certificates(path);
      if (!certs) return certs.error;
      for (std::size_t i = 0; i < certs.value.size(); ++i) {
        X509* cert = certs.value[i].get();
        // X509_check_ca: 1 = basicConstraints CA:TRUE, 3 = self-signed v1 root; 0 = not a CA.
        if (X509_check_ca(cert) == 0) {
          return "certificate " + std::to_string(i + 1) + " (" + subject_string(cert) +
                 ") is not a CA certificate (no basicConstraints CA:TRUE); a CA bundle holds only "
                 "CA certificates";
        }
      }
      return std::nullopt;
    }
    case config::file_kind::crl: {
      auto crl = read_crl(path);
      if (!crl) return crl.error;
      return std::nullopt;
    }
    case config::file_kind::ticket_key: {
      std::ifstream in(path, std::ios::binary);
      if (!in) return "cannot read the file";
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::string error;
      if (!parse_ticket_key(bytes, &error)) return error;
      return std::nullopt;
    }
    case config::file_kind::secret:
    case config::file_kind::keytab:
    case config::file_kind::krb5_conf:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace cba::tls
