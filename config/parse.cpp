#include "config/parse.hpp"

#include "config/address.hpp"
#include "config/field_readers.hpp"
#include "config/header_template.hpp"
#include "config/identity_names.hpp"
#include "config/upstream_url.hpp"

#include <algorithm>
#include <cctype>

namespace cba::config {
namespace {

constexpr std::array<enum_name<tls_version>, 2> tls_versions{{{"1.2", tls_version::v1_2},
                                                              {"1.3", tls_version::v1_3}}};
constexpr std::array<enum_name<client_certificate_mode>, 2> client_certificate_modes{
    {{"require", client_certificate_mode::require}, {"optional", client_certificate_mode::optional}}};
constexpr std::array<enum_name<advertise_mode>, 3> advertise_modes{
    {{"ntauth", advertise_mode::ntauth}, {"roots", advertise_mode::roots}, {"none", advertise_mode::none}}};
constexpr std::array<enum_name<revocation_mode>, 3> revocation_modes{
    {{"off", revocation_mode::off}, {"soft", revocation_mode::soft}, {"hard", revocation_mode::hard}}};
constexpr std::array<enum_name<revocation_check>, 2> revocation_checks{
    {{"chain", revocation_check::chain}, {"leaf", revocation_check::leaf}}};
constexpr std::array<enum_name<upn_source>, 2> upn_sources{
    {{"san_upn", upn_source::san_upn}, {"subject_upn", upn_source::subject_upn}}};
constexpr std::array<enum_name<route_auth>, 3> route_auths{
    {{"kerberos", route_auth::kerberos}, {"headers", route_auth::headers}, {"none", route_auth::none}}};
constexpr std::array<enum_name<log_level>, 4> log_levels{{{"error", log_level::error},
                                                          {"warn", log_level::warn},
                                                          {"info", log_level::info},
                                                          {"debug", log_level::debug}}};
constexpr std::array<enum_name<int>, 1> access_log_formats{{{"json", 0}}};

constexpr unsigned max_threads = 1024;

void read_address(const maybe_node& at, std::string& address, std::string& host, std::uint16_t& port) {
  std::string text;
  if (!read_string(at, text)) return;
  auto parsed_address = parse_host_port(text);
  if (!parsed_address.value) {
    at->report(parsed_address.error);
    return;
  }
  address = std::move(text);
  host = std::move(parsed_address.value->host);
  port = parsed_address.value->port;
}

void parse_listener_tls(const node_cursor& at, listener_tls_config& out) {
  map_cursor m(at);
  read_path(m.require("certificate_chain"), out.certificate_chain);
  read_path(m.require("private_key"), out.private_key);
  read_enum(m.get("min_version"), out.min_version, tls_versions);
  read_enum(m.get("client_certificate"), out.client_certificate, client_certificate_modes);
  if (auto tickets = m.get("session_tickets")) {
    map_cursor t(*tickets);
    read_path_list(t.get("key_files"), out.session_tickets.key_files);
    t.finish();
  }
  m.finish();
}

void parse_listener_limits(const node_cursor& at, listener_limits_config& out) {
  map_cursor m(at);
  read_size(m.get("request_header_bytes"), out.request_header_bytes);
  read_number<std::uint32_t>(m.get("request_header_count"), out.request_header_count, 1);
  read_duration(m.get("handshake_timeout"), out.handshake_timeout);
  read_duration(m.get("header_timeout"), out.header_timeout);
  read_duration(m.get("idle_timeout"), out.idle_timeout);
  read_number<std::uint32_t>(m.get("max_connections"), out.max_connections, 1);
  m.finish();
}

void parse_listeners(const node_cursor& at, std::vector<listener_config>& out) {
  for (const auto& item : at.items("a list of listeners")) {
    listener_config& l = out.emplace_back();
    map_cursor m(item);
    read_string(m.require("name"), l.name);
    read_address(m.require("address"), l.address, l.host, l.port);
    if (auto tls = m.require("tls")) parse_listener_tls(*tls, l.tls);
    if (auto limits = m.get("limits")) parse_listener_limits(*limits, l.limits);
    m.finish();
  }
}

void parse_revocation(const node_cursor& at, revocation_config& out) {
  map_cursor m(at);
  revocation_mode mode = revocation_mode::off;
  if (read_enum(m.get("mode"), mode, revocation_modes)) out.mode = mode;
  read_enum(m.get("check"), out.check, revocation_checks);
  read_path_list(m.get("crl_files"), out.crl_files);
  read_bool(m.get("fetch_distribution_points"), out.fetch_distribution_points);
  read_duration(m.get("refresh"), out.refresh);
  read_duration(m.get("fetch_timeout"), out.fetch_timeout);
  read_size(m.get("max_crl_bytes"), out.max_crl_bytes, 1024);
  read_duration(m.get("stale_if_error"), out.stale_if_error, duration{0});
  if (auto ocsp = m.get("ocsp")) {
    map_cursor o(*ocsp);
    read_bool(o.get("enabled"), out.ocsp.enabled);
    read_duration(o.get("timeout"), out.ocsp.timeout);
    read_duration(o.get("cache_ttl"), out.ocsp.cache_ttl, duration{0});
    if (auto responder = o.get("responder"); read_string(responder, out.ocsp.responder) &&
                                             !out.ocsp.responder.starts_with("http://")) {
      responder->report("expected an http:// URL (OCSP responses are signed; https:// is not supported), got \"" +
                        out.ocsp.responder + '"');
      out.ocsp.responder.clear();
    }
    read_bool(o.get("nonce"), out.ocsp.nonce);
    o.finish();
  }
  m.finish();
}

void parse_trust(const node_cursor& at, trust_config& out) {
  map_cursor m(at);
  read_path(m.require("roots"), out.roots);
  read_path(m.get("intermediates"), out.intermediates);
  read_path(m.get("ntauth"), out.ntauth);
  advertise_mode advertise = advertise_mode::roots;
  if (read_enum(m.get("advertise"), advertise, advertise_modes)) out.advertise = advertise;
  read_number<int>(m.get("max_depth"), out.max_depth, 1, 16);
  read_duration(m.get("recheck_interval"), out.recheck_interval, duration{1000});
  if (auto ekus = m.get("required_ekus")) {
    std::vector<std::string> oids;
    bool ok = ekus->node().IsSequence();
    for (const auto& item : ekus->items("a list of EKU names or dotted OIDs")) {
      const auto text = item.scalar("an EKU name or dotted OID");
      if (!text) {
        ok = false;
        continue;
      }
      auto oid = eku_oid(*text);
      if (!oid.value) {
        item.report(oid.error);
        ok = false;
        continue;
      }
      if (std::find(oids.begin(), oids.end(), *oid.value) == oids.end()) oids.push_back(*oid.value);
    }
    if (ok && oids.empty()) {
      ekus->report("must list at least one EKU (client_auth, smartcard_logon or a dotted OID)");
    } else if (ok) {
      out.required_ekus = std::move(oids);
    }
  }
  if (auto revocation = m.get("revocation")) parse_revocation(*revocation, out.revocation);
  m.finish();
}

void parse_identity(const node_cursor& at, identity_config& out) {
  map_cursor m(at);
  if (auto sources = m.get("upn_sources"); read_enum_list(sources, out.upn_sources, upn_sources)) {
    auto sorted = out.upn_sources;
    std::sort(sorted.begin(), sorted.end());
    if (out.upn_sources.empty()) {
      sources->report("must list at least one of san_upn or subject_upn");
    } else if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
      sources->report("lists the same source twice");
    }
  }
  if (auto suffixes = m.get("allowed_upn_suffixes")) {
    for (const auto& item : suffixes->items("a list of UPN suffixes like @example.test")) {
      const auto text = item.scalar("a UPN suffix like @example.test");
      if (!text) continue;
      auto suffix = normalize_upn_suffix(*text);
      if (!suffix.value) {
        item.report(suffix.error);
        continue;
      }
      out.allowed_upn_suffixes.push_back(std::move(*suffix.value));
    }
  }
  m.finish();
}

void parse_upstreams(const node_cursor& at, std::vector<upstream_config>& out) {
  for (const auto& item : at.items("a list of upstreams")) {
    upstream_config& u = out.emplace_back();
    map_cursor m(item);
    read_string(m.require("name"), u.name);
    if (auto url = m.require("url"); read_string(url, u.url)) {
      auto parsed_url = parse_upstream_url(u.url);
      if (parsed_url.value) {
        u.https = parsed_url.value->https;
        u.host = std::move(parsed_url.value->host);
        u.port = parsed_url.value->port;
      } else {
        url->report(parsed_url.error);
      }
    }
    if (auto tls = m.get("tls")) {
      map_cursor t(*tls);
      read_path(t.get("ca"), u.tls.ca);
      read_string(t.get("server_name"), u.tls.server_name);
      t.finish();
    }
    read_duration(m.get("connect_timeout"), u.connect_timeout);
    read_size(m.get("response_header_bytes"), u.response_header_bytes);
    std::uint64_t request_header_bytes = 0;
    if (read_size(m.get("request_header_bytes"), request_header_bytes)) {
      u.request_header_bytes = request_header_bytes;
    }
    read_number<std::uint32_t>(m.get("max_idle_connections"), u.max_idle_connections, 0);
    m.finish();
  }
}

void parse_routes(const node_cursor& at, std::vector<route_config>& out) {
  for (const auto& item : at.items("a list of routes")) {
    route_config& r = out.emplace_back();
    map_cursor m(item);
    if (auto prefix = m.require("path_prefix"); read_string(prefix, r.path_prefix)) {
      if (r.path_prefix.front() != '/') {
        prefix->report("must start with '/', got \"" + r.path_prefix + '"');
      } else if (r.path_prefix.find_first_of("?# \t") != std::string::npos) {
        prefix->report("must be a plain path (no query, fragment or spaces), got \"" + r.path_prefix + '"');
      }
    }
    read_string(m.require("upstream"), r.upstream);
    read_enum(m.get("auth"), r.auth, route_auths);
    read_string(m.get("service_principal"), r.service_principal);
    std::uint64_t max_body_bytes = 0;
    if (read_size(m.get("max_body_bytes"), max_body_bytes)) r.max_body_bytes = max_body_bytes;
    duration idle_timeout{};
    if (read_duration(m.get("idle_timeout"), idle_timeout)) r.idle_timeout = idle_timeout;
    m.finish();
  }
}

bool same_header(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// An empty string when `name` may be set or stripped by configuration, else why not.
std::string header_name_problem(std::string_view name) {
  if (!is_header_token(name)) return "\"" + std::string(name) + "\" is not a valid header name";
  return reserved_header_reason(name);
}

std::string identity_header_set_name_problem(std::string_view name) {
  if (!is_header_token(name)) return "\"" + std::string(name) + "\" is not a valid header name";
  return identity_header_set_problem(name);
}

void parse_identity_headers(const node_cursor& at, identity_headers_config& out) {
  map_cursor m(at);
  if (auto set = m.get("set")) {
    map_cursor s(*set);
    for (auto& e : s.entries()) {
      if (auto why = identity_header_set_name_problem(e.key); !why.empty()) {
        at.context().sink.add(e.key_at, e.value.key_path(), why);
        continue;
      }
      const auto twice = std::find_if(out.set.begin(), out.set.end(),
                                      [&](const auto& h) { return same_header(h.first, e.key); });
      if (twice != out.set.end()) {
        at.context().sink.add(e.key_at, e.value.key_path(),
                              "header names are case-insensitive: this repeats " + twice->first);
        continue;
      }
      std::string text;
      if (!read_string(e.value, text)) continue;
      if (auto parsed_template = parse_header_template(text); !parsed_template.value) {
        e.value.report(parsed_template.error);
        continue;
      }
      out.set.emplace_back(e.key, std::move(text));
    }
  }
  if (auto strip = m.get("strip")) {
    for (const auto& item : strip->items("a list of header names")) {
      std::string name;
      if (!read_string(item, name)) continue;
      if (auto why = header_name_problem(name); !why.empty()) {
        item.report(why);
        continue;
      }
      out.strip.push_back(std::move(name));
    }
  }
  m.finish();
}

void parse_log(const node_cursor& at, log_config& out) {
  map_cursor m(at);
  read_enum(m.get("level"), out.level, log_levels);
  if (auto access = m.get("access")) {
    map_cursor a(*access);
    if (auto path = a.get("path")) {
      std::string text;
      if (read_string(path, text)) {
        // YAML 1.1 reads a bare `off` as false; accept it like "off".
        if (text == "-" || text == "off" || detail::means_off(*path, text)) {
          out.access.path = text == "-" ? "-" : "off";
        } else {
          out.access.path = resolve_path(path->context().base_dir, text);
        }
      }
    }
    int format = 0;
    if (read_enum(a.get("format"), format, access_log_formats)) out.access.format = "json";
    a.finish();
  }
  m.finish();
}

}  // namespace

void parse_proxy_config(const node_cursor& root, proxy_config& out) {
  map_cursor m(root);
  if (!m.valid()) return;
  if (auto listeners = m.require("listeners")) parse_listeners(*listeners, out.listeners);
  if (auto trust = m.require("trust")) parse_trust(*trust, out.trust);
  if (auto identity = m.get("identity")) parse_identity(*identity, out.identity);
  if (auto directory = m.get("directory")) parse_directory(*directory, out.directory);
  if (auto upstreams = m.require("upstreams")) parse_upstreams(*upstreams, out.upstreams);
  if (auto kerberos = m.get("kerberos")) parse_kerberos(*kerberos, out.kerberos.emplace());
  if (auto routes = m.require("routes")) parse_routes(*routes, out.routes);
  if (auto headers = m.get("identity_headers")) parse_identity_headers(*headers, out.identity_headers);
  if (auto admin = m.get("admin")) {
    map_cursor a(*admin);
    read_address(a.get("address"), out.admin.address, out.admin.host, out.admin.port);
    a.finish();
  }
  if (auto log = m.get("log")) parse_log(*log, out.log);
  if (auto runtime = m.get("runtime")) {
    map_cursor r(*runtime);
    read_number<unsigned>(r.get("io_threads"), out.runtime.io_threads, 0, max_threads);
    read_number<unsigned>(r.get("blocking_threads"), out.runtime.blocking_threads, 1, max_threads);
    r.finish();
  }
  m.finish();
}

}  // namespace cba::config
