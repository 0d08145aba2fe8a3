#include "proxy/auth/channel_binding.hpp"

#include "proxy/error.hpp"

#include <openssl/evp.h>
#include <openssl/objects.h>

#include <array>

namespace cba::auth {

boost::system::result<std::string> tls_server_end_point(X509* upstream_cert) {
  if (upstream_cert == nullptr) return make_error_code(errc::channel_binding_unavailable);
  int md_nid = NID_undef;
  if (X509_get_signature_info(upstream_cert, &md_nid, nullptr, nullptr, nullptr) != 1 || md_nid == NID_undef) {
    return make_error_code(errc::channel_binding_unavailable);
  }
  // RFC 5929 §4.1: MD5 and SHA-1 are upgraded to SHA-256.
  if (md_nid == NID_md5 || md_nid == NID_sha1) md_nid = NID_sha256;
  const EVP_MD* md = EVP_get_digestbynid(md_nid);
  if (md == nullptr) return make_error_code(errc::channel_binding_unavailable);

  std::array<unsigned char, EVP_MAX_MD_SIZE> hash{};
  unsigned int len = 0;
  if (X509_digest(upstream_cert, md, hash.data(), &len) != 1) {
    return make_error_code(errc::channel_binding_unavailable);
  }
  std::string out = "tls-server-end-point:";
  out.append(reinterpret_cast<const char*>(hash.data()), len);
  return out;
}

}  // namespace cba::auth
