#include "tests/tls/test_certs.hpp"

#include <catch2/catch.hpp>

#include <openssl/err.h>
#include <openssl/pem.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace cba::tls::testing {
namespace {

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string(what) + ": " + openssl_error_string());
}

void add_conf_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  const x509_extension_ptr ext{X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str())};
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  check(X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext");
}

void push_name(GENERAL_NAMES* names, general_name_ptr name) {
  check(sk_GENERAL_NAME_push(names, name.get()) > 0, "sk_GENERAL_NAME_push");
  static_cast<void>(name.release());
}

void add_san(X509* cert, const cert_spec& spec) {
  if (spec.upns.empty() && spec.dns_names.empty() && spec.ip_addresses.empty()) return;
  const general_names_ptr names{sk_GENERAL_NAME_new_null()};
  for (const auto& upn : spec.upns) {
    general_name_ptr name{GENERAL_NAME_new()};
    asn1_object_ptr oid{OBJ_txt2obj("1.3.6.1.4.1.311.20.2.3", 1)};
    asn1_type_ptr value{ASN1_TYPE_new()};
    asn1_string_ptr content{ASN1_STRING_type_new(upn.asn1_type)};
    check(name && oid && value && content, "otherName allocation");
    check(ASN1_STRING_set(content.get(), upn.bytes.data(), static_cast<int>(upn.bytes.size())) == 1,
          "ASN1_STRING_set");
    ASN1_TYPE_set(value.get(), upn.asn1_type, content.release());
    check(GENERAL_NAME_set0_othername(name.get(), oid.get(), value.get()) == 1, "set0_othername");
    static_cast<void>(oid.release());
    static_cast<void>(value.release());
    push_name(names.get(), std::move(name));
  }
  for (const auto& dns : spec.dns_names) {
    general_name_ptr name{GENERAL_NAME_new()};
    asn1_string_ptr ia5{ASN1_IA5STRING_new()};
    check(name && ia5 && ASN1_STRING_set(ia5.get(), dns.data(), static_cast<int>(dns.size())) == 1,
          "dNSName");
    GENERAL_NAME_set0_value(name.get(), GEN_DNS, ia5.release());
    push_name(names.get(), std::move(name));
  }
  for (const auto& ip : spec.ip_addresses) {
    general_name_ptr name{a2i_GENERAL_NAME(nullptr, nullptr, nullptr, GEN_IPADD, ip.c_str(), 0)};
    check(name != nullptr, "iPAddress");
    push_name(names.get(), std::move(name));
  }
  check(X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) == 1,
        "subjectAltName");
}

}  // namespace

test_cert make_cert(const cert_spec& spec, const test_cert* issuer) {
  const clear_errors_on_exit guard;
  test_cert out;
  out.key.reset(spec.rsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048})
                         : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  check(out.key != nullptr, "key generation");
  out.cert.reset(X509_new());
  X509* cert = out.cert.get();
  check(cert != nullptr && X509_set_version(cert, 2) == 1, "X509_new");

  bignum_ptr serial{BN_new()};
  if (spec.serial_hex.empty()) {
    check(serial && BN_rand(serial.get(), 63, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1, "BN_rand");
  } else {
    BIGNUM* raw = serial.release();
    check(BN_hex2bn(&raw, spec.serial_hex.c_str()) > 0, "BN_hex2bn");
    serial.reset(raw);
  }
  check(BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) != nullptr, "serial");

  X509_NAME* subject = X509_get_subject_name(cert);
  for (const auto& [field, value] : spec.subject) {
    check(X509_NAME_add_entry_by_txt(subject, field.c_str(), MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(value.data()),
                                     static_cast<int>(value.size()), -1, 0) == 1,
          "subject entry");
  }
  X509* signer = issuer != nullptr ? issuer->get() : cert;
  EVP_PKEY* signer_key = issuer != nullptr ? issuer->key.get() : out.key.get();
  check(X509_set_issuer_name(cert, X509_get_subject_name(signer)) == 1, "issuer name");
  check(X509_gmtime_adj(X509_getm_notBefore(cert), spec.not_before) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(cert), spec.not_after) != nullptr,
        "validity");
  check(X509_set_pubkey(cert, out.key.get()) == 1, "public key");

  if (spec.ca) {
    std::string bc = "critical,CA:TRUE";
    if (spec.path_length) bc += ",pathlen:" + std::to_string(*spec.path_length);
    add_conf_extension(cert, signer, NID_basic_constraints, bc);
    add_conf_extension(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  } else {
    add_conf_extension(cert, signer, NID_basic_constraints, "critical,CA:FALSE");
    add_conf_extension(cert, signer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
  }
  if (spec.ekus && !spec.ekus->empty()) {
    std::string list;
    for (const auto& eku : *spec.ekus) list += (list.empty() ? "" : ",") + eku;
    add_conf_extension(cert, signer, NID_ext_key_usage, list);
  }
  add_san(cert, spec);
  check(X509_sign(cert, signer_key, EVP_sha256()) > 0, "X509_sign");
  return out;
}

cert_spec ca_spec(const std::string& cn) {
  cert_spec spec;
  spec.subject = {{"O", "Test"}, {"CN", cn}};
  spec.ca = true;
  spec.ekus.reset();
  spec.not_after = 10L * 86400;
  return spec;
}

cert_spec client_spec(const std::string& cn, const std::string& utf8_upn) {
  cert_spec spec;
  spec.subject = {{"CN", cn}};
  if (!utf8_upn.empty()) spec.upns.push_back({V_ASN1_UTF8STRING, utf8_upn});
  return spec;
}

std::string to_pem(X509* cert) {
  const bio_ptr bio{BIO_new(BIO_s_mem())};
  check(bio && PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(size)};
}

std::string to_pem(EVP_PKEY* key) {
  const bio_ptr bio{BIO_new(BIO_s_mem())};
  check(bio && PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(size)};
}

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

temp_dir::temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "cba-tls-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string run_command(const std::string& command) {
  std::FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
  std::string out;
  std::array<char, 4096> buffer{};
  for (std::size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) out.append(buffer.data(), n);
  const int status = pclose(pipe);
  if (status != 0) throw std::runtime_error("command failed (" + std::to_string(status) + "): " + command);
  return out;
}

std::string script_pki_file(const std::string& name) {
  static const bool made = [] {
    run_command("bash '" CBA_TEST_PKI_SCRIPT "' '" CBA_TEST_PKI_DIR "'");
    return true;
  }();
  static_cast<void>(made);
  return (std::filesystem::path(CBA_TEST_PKI_DIR) / name).string();
}

x509_ptr load_pem(const std::string& path) {
  const bio_ptr bio{BIO_new_file(path.c_str(), "r")};
  REQUIRE(bio);
  x509_ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)};
  REQUIRE(cert);
  return cert;
}

}  // namespace cba::tls::testing
