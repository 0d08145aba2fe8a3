#pragma once
// The validated configuration of cba-proxy: plain structs, documented defaults (config/README.md).
// Everything here is produced by config::load and frozen after config::validate; no Asio, no OpenSSL.
// Paths are absolute after loading (relative ones are resolved against the config file's folder).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cba::config {

using duration = std::chrono::milliseconds;
using namespace std::chrono_literals;

enum class tls_version { v1_2, v1_3 };
enum class client_certificate_mode { require, optional };

struct session_tickets_config {
  std::vector<std::string> key_files;  // first encrypts, all decrypt; empty: random key per process
};

struct listener_tls_config {
  std::string certificate_chain;
  std::string private_key;
  tls_version min_version = tls_version::v1_2;
  client_certificate_mode client_certificate = client_certificate_mode::require;
  session_tickets_config session_tickets;
};

struct listener_limits_config {
  std::uint64_t request_header_bytes = 49152;  // request line + header lines + final CRLF; over: 431
  std::uint32_t request_header_count = 100;    // header fields, Host included; over: 431
  duration handshake_timeout = 10s;
  duration header_timeout = 30s;
  duration idle_timeout = 2min;                // keep-alive between requests; default route idle
  std::uint32_t max_connections = 20000;
};

struct listener_config {
  std::string name;
  std::string address;  // "host:port", "[::1]:443"
  std::string host;     // parsed from address at load time (IPv6 without brackets)
  std::uint16_t port = 0;  // parsed from address; 0: the system picks one (tests)
  listener_tls_config tls;
  listener_limits_config limits;
};

enum class advertise_mode { ntauth, roots, none };
enum class revocation_mode { off, soft, hard };
enum class revocation_check { chain, leaf };

struct ocsp_config {
  bool enabled = false;
  duration timeout = 2s;
  duration cache_ttl = 1h;
  std::string responder;  // http:// URL asked for every certificate; empty: each certificate's AIA
  bool nonce = false;     // send a nonce and require the responder to echo it
};

struct revocation_config {
  std::optional<revocation_mode> mode;  // absent: hard when a source is configured, else off
  revocation_check check = revocation_check::chain;
  std::vector<std::string> crl_files;
  bool fetch_distribution_points = false;
  duration refresh = 5min;
  duration fetch_timeout = 5s;                    // one CRL distribution point download
  std::uint64_t max_crl_bytes = 10 * 1024 * 1024; // larger downloads are abandoned
  duration stale_if_error = 0s;  // a fetched CRL stays usable this long past nextUpdate while re-fetching fails
  ocsp_config ocsp;
};

struct trust_config {
  std::string roots;          // PEM bundle of trust anchors (required)
  std::string intermediates;  // optional PEM bundle of extra CAs for chain building
  std::string ntauth;         // optional PEM bundle: issuing CAs allowed to log users on
  std::optional<advertise_mode> advertise;  // absent: ntauth when ntauth is set, else roots
  int max_depth = 4;          // CA certificates above the leaf (intermediates + root)
  std::vector<std::string> required_ekus{"1.3.6.1.5.5.7.3.2"};  // dotted OIDs after validation
  revocation_config revocation;
  duration recheck_interval = 5min;  // re-decide an identity older than this (long-lived, resumed)
};

enum class upn_source { san_upn, subject_upn };

struct identity_config {
  std::vector<upn_source> upn_sources{upn_source::san_upn};
  std::vector<std::string> allowed_upn_suffixes;  // "@example.test" form, lower-case; empty: any
};

enum class directory_type { file, ldap };
enum class account_check { disabled, locked, expired };
enum class certificate_mapping_mode { strong, compatibility, upn };

struct file_account {
  std::string upn;
  std::string sam_account_name;
  std::string sid;
  std::string dn;
  bool disabled = false;
  std::vector<std::string> alt_security_identities;
};

struct file_directory_config {
  std::string path;
  std::vector<file_account> accounts;  // read and validated from `path` at load time
};

enum class ldap_bind_method { simple, gssapi };

struct ldap_cache_config {
  duration ttl = 5min;
  duration negative_ttl = 30s;
  std::uint64_t max_entries = 100000;
};

struct ldap_bind_config {
  ldap_bind_method method = ldap_bind_method::simple;
  std::string dn;
  std::string password_file;
  std::string keytab;     // for gssapi
  std::string principal;  // for gssapi; empty: the keytab's first principal
};

struct ldap_config {
  std::vector<std::string> urls;
  bool start_tls = false;
  std::string ca;
  ldap_bind_config bind;
  std::string base_dn;
  std::string user_filter = "(&(objectCategory=person)(objectClass=user)(userPrincipalName={upn}))";
  duration timeout = 3s;
  std::uint32_t pool_size = 4;
  ldap_cache_config cache;
};

struct directory_config {
  directory_type type = directory_type::file;
  file_directory_config file;
  ldap_config ldap;
  std::vector<account_check> account_checks{account_check::disabled, account_check::locked,
                                            account_check::expired};
  certificate_mapping_mode certificate_mapping = certificate_mapping_mode::strong;
};

struct upstream_tls_config {
  std::string ca;           // PEM bundle; empty: none configured (validation requires it for https)
  std::string server_name;  // SNI and the name verified; empty: the URL's host
};

struct upstream_config {
  std::string name;
  std::string url;  // as written
  // Parsed from url at load time:
  bool https = false;
  std::string host;
  std::uint16_t port = 0;
  upstream_tls_config tls;
  duration connect_timeout = 5s;
  std::uint64_t response_header_bytes = 65536;
  std::optional<std::uint64_t> request_header_bytes;
  std::uint32_t max_idle_connections = 256;
};

enum class channel_binding_mode { auto_, required, off };

struct ticket_cache_config {
  std::uint64_t max_entries = 100000;
  duration refresh_before_expiry = 5min;
};

struct kerberos_config {
  std::string principal;
  std::string keytab;
  std::string krb5_conf;
  channel_binding_mode channel_binding = channel_binding_mode::auto_;
  ticket_cache_config ticket_cache;
};

enum class route_auth { kerberos, headers, none };

struct route_config {
  std::string path_prefix;
  std::string upstream;
  std::size_t upstream_index = 0;  // index into proxy_config::upstreams, set by validation
  route_auth auth = route_auth::headers;
  std::string service_principal;
  std::optional<std::uint64_t> max_body_bytes;  // absent: 30000000 (IIS maxAllowedContentLength)
  std::optional<duration> idle_timeout;         // absent: the listener's idle_timeout
};

struct identity_headers_config {
  std::vector<std::pair<std::string, std::string>> set;  // header name -> template, in file order
  std::vector<std::string> strip;
};

struct admin_config {
  std::string address;  // empty: no admin listener
  std::string host;     // parsed from address at load time (IPv6 without brackets)
  std::uint16_t port = 0;
};

enum class log_level { error, warn, info, debug };

struct access_log_config {
  std::string path = "-";  // "-" stdout, "off" disabled, else a file appended to
  std::string format = "json";
};

struct log_config {
  log_level level = log_level::info;
  access_log_config access;
};

struct runtime_config {
  unsigned io_threads = 0;  // 0: one per core
  unsigned blocking_threads = 4;
};

struct proxy_config {
  std::string source_file;  // absolute path of the loaded file
  std::vector<listener_config> listeners;
  trust_config trust;
  identity_config identity;
  directory_config directory;
  std::vector<upstream_config> upstreams;
  std::optional<kerberos_config> kerberos;
  std::vector<route_config> routes;
  identity_headers_config identity_headers;
  admin_config admin;
  log_config log;
  runtime_config runtime;
};

inline constexpr std::uint64_t default_max_body_bytes = 30000000;

}  // namespace cba::config
