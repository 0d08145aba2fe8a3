#include "config/field_readers.hpp"
#include "config/parse.hpp"

#include <algorithm>
#include <cctype>

namespace cba::config {
namespace {

constexpr std::array<enum_name<directory_type>, 2> directory_types{
    {{"file", directory_type::file}, {"ldap", directory_type::ldap}}};
constexpr std::array<enum_name<account_check>, 3> account_checks{{{"disabled", account_check::disabled},
                                                                  {"locked", account_check::locked},
                                                                  {"expired", account_check::expired}}};
constexpr std::array<enum_name<certificate_mapping_mode>, 3> certificate_mappings{
    {{"strong", certificate_mapping_mode::strong},
     {"compatibility", certificate_mapping_mode::compatibility},
     {"upn", certificate_mapping_mode::upn}}};
constexpr std::array<enum_name<ldap_bind_method>, 2> bind_methods{
    {{"simple", ldap_bind_method::simple}, {"gssapi", ldap_bind_method::gssapi}}};
constexpr std::array<enum_name<channel_binding_mode>, 3> channel_bindings{
    {{"auto", channel_binding_mode::auto_},
     {"required", channel_binding_mode::required},
     {"off", channel_binding_mode::off}}};

bool starts_with_ignore_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

void parse_ldap_urls(const node_cursor& at, std::vector<std::string>& out) {
  for (const auto& item : at.items("a list of ldap:// or ldaps:// URLs")) {
    std::string url;
    if (!read_string(item, url)) continue;
    const bool ldaps = starts_with_ignore_case(url, "ldaps://");
    if (!ldaps && !starts_with_ignore_case(url, "ldap://")) {
      item.report("expected an ldap:// or ldaps:// URL like ldaps://dc1.example.test:636, got \"" + url + '"');
      continue;
    }
    const auto host = std::string_view(url).substr(ldaps ? 8 : 7);
    if (host.empty() || host.front() == '/' || host.front() == ':') {
      item.report("the URL names no host: \"" + url + '"');
      continue;
    }
    out.push_back(std::move(url));
  }
  if (at.node().IsSequence() && at.node().size() == 0) at.report("must list at least one URL");
}

void parse_ldap(const node_cursor& at, ldap_config& out) {
  map_cursor m(at);
  if (auto urls = m.require("urls")) parse_ldap_urls(*urls, out.urls);
  read_bool(m.get("start_tls"), out.start_tls);
  read_path(m.get("ca"), out.ca);
  if (auto bind = m.get("bind")) {
    map_cursor b(*bind);
    read_enum(b.get("method"), out.bind.method, bind_methods);
    read_string(b.get("dn"), out.bind.dn);
    read_path(b.get("password_file"), out.bind.password_file);
    read_path(b.get("keytab"), out.bind.keytab);
    read_string(b.get("principal"), out.bind.principal);
    b.finish();
  }
  read_string(m.require("base_dn"), out.base_dn);
  if (auto filter = m.get("user_filter"); read_string(filter, out.user_filter)) {
    if (out.user_filter.find("{upn}") == std::string::npos) {
      filter->report("must contain {upn}, where the certificate's UPN (escaped) goes");
    }
  }
  read_duration(m.get("timeout"), out.timeout);
  read_number<std::uint32_t>(m.get("pool_size"), out.pool_size, 1, 1024);
  if (auto cache = m.get("cache")) {
    map_cursor c(*cache);
    read_duration(c.get("ttl"), out.cache.ttl, duration{0});
    read_duration(c.get("negative_ttl"), out.cache.negative_ttl, duration{0});
    read_number<std::uint64_t>(c.get("max_entries"), out.cache.max_entries, 0);
    c.finish();
  }
  m.finish();
}

}  // namespace

void parse_directory(const node_cursor& at, directory_config& out) {
  map_cursor m(at);
  read_enum(m.get("type"), out.type, directory_types);
  if (auto file = m.get("file")) {
    map_cursor f(*file);
    read_path(f.require("path"), out.file.path);
    f.finish();
  }
  if (auto ldap = m.get("ldap")) parse_ldap(*ldap, out.ldap);
  read_enum_list(m.get("account_checks"), out.account_checks, account_checks);
  read_enum(m.get("certificate_mapping"), out.certificate_mapping, certificate_mappings);
  m.finish();
}

void parse_kerberos(const node_cursor& at, kerberos_config& out) {
  map_cursor m(at);
  read_string(m.require("principal"), out.principal);
  read_path(m.require("keytab"), out.keytab);
  read_path(m.get("krb5_conf"), out.krb5_conf);
  read_enum(m.get("channel_binding"), out.channel_binding, channel_bindings);
  if (auto cache = m.get("ticket_cache")) {
    map_cursor c(*cache);
    read_number<std::uint64_t>(c.get("max_entries"), out.ticket_cache.max_entries, 1);
    read_duration(c.get("refresh_before_expiry"), out.ticket_cache.refresh_before_expiry, duration{0});
    c.finish();
  }
  m.finish();
}

}  // namespace cba::config
