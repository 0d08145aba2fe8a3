#include "config/validate.hpp"
#include "config/ascii_case.hpp"

#include <algorithm>
#include <cctype>

namespace cba::config {
namespace {

std::string at(std::string_view list, std::size_t index, std::string_view key = {}) {
  std::string out = std::string(list) + '[' + std::to_string(index) + ']';
  if (!key.empty()) out += '.' + std::string(key);
  return out;
}

template <class Items>
void require_unique_names(const Items& items, std::string_view list, const located_sink& problems) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (!items[i].name.empty() && items[i].name == items[j].name) {
        problems.add(at(list, i, "name"), "name '" + items[i].name + "' is already used by " + at(list, j));
        break;
      }
    }
  }
}

void validate_listeners(const proxy_config& c, const located_sink& problems) {
  if (c.listeners.empty() && problems.written("listeners")) {
    problems.add("listeners", "at least one listener is required");
  }
  require_unique_names(c.listeners, "listeners", problems);
}

void validate_trust(const trust_config& t, const located_sink& problems) {
  if (t.advertise == advertise_mode::ntauth && t.ntauth.empty()) {
    problems.add("trust.advertise", "advertise: ntauth needs trust.ntauth (the NTAuth CA bundle)");
  }
  const auto& r = t.revocation;
  const bool any_source = !r.crl_files.empty() || r.fetch_distribution_points || r.ocsp.enabled;
  if (r.mode && *r.mode != revocation_mode::off && !any_source) {
    problems.add("trust.revocation.mode",
                 "needs a revocation source (crl_files, fetch_distribution_points: true or ocsp.enabled: true); "
                 "without one every certificate's status is unknown");
  }
  if (!r.ocsp.responder.empty() && !r.ocsp.enabled) {
    problems.add("trust.revocation.ocsp.responder", "is only used with ocsp.enabled: true");
  }
}

void validate_ldap(const ldap_config& l, const located_sink& problems) {
  const bool any_ldaps = std::any_of(l.urls.begin(), l.urls.end(),
                                     [](const std::string& u) { return ascii_lower(u).starts_with("ldaps://"); });
  const bool any_plain = std::any_of(l.urls.begin(), l.urls.end(),
                                     [](const std::string& u) { return ascii_lower(u).starts_with("ldap://"); });
  if (l.start_tls && !any_plain) {
    problems.add("directory.ldap.start_tls", "start_tls is for ldap:// URLs; these are all ldaps://");
  }
  const bool tls = any_ldaps || l.start_tls;
  if (tls && l.ca.empty()) {
    problems.add("directory.ldap.ca",
                 "a CA bundle is required to verify the directory's certificate (the system default "
                 "store is not used); set directory.ldap.ca");
  }
  if (l.bind.method == ldap_bind_method::simple) {
    if (any_plain && !l.start_tls) {
      problems.add("directory.ldap.bind.method",
                   "simple bind sends the password in clear; use ldaps:// or start_tls: true");
    }
    if (l.bind.dn.empty()) problems.add("directory.ldap.bind.dn", "required for bind method simple");
    if (l.bind.password_file.empty()) {
      problems.add("directory.ldap.bind.password_file", "required for bind method simple");
    }
    if (!l.bind.keytab.empty()) problems.add("directory.ldap.bind.keytab", "only used by bind method gssapi");
    if (!l.bind.principal.empty()) {
      problems.add("directory.ldap.bind.principal", "only used by bind method gssapi");
    }
  } else {
    if (l.bind.keytab.empty()) problems.add("directory.ldap.bind.keytab", "required for bind method gssapi");
    if (!l.bind.password_file.empty()) {
      problems.add("directory.ldap.bind.password_file", "only used by bind method simple");
    }
  }
}

void validate_directory(const directory_config& d, const located_sink& problems) {
  const bool has_ldap = problems.written("directory.ldap");
  if (d.type == directory_type::file) {
    if (d.file.path.empty() && !problems.written("directory.file")) {
      problems.add("directory.file.path", "required when directory.type is file (the users file)");
    }
    if (has_ldap) {
      problems.add("directory.ldap", "is set but directory.type is file; remove it or set type: ldap");
    }
  } else if (!has_ldap) {
    problems.add("directory.ldap", "required when directory.type is ldap");
  }
  if (has_ldap) validate_ldap(d.ldap, problems);
}

void validate_upstreams(const proxy_config& c, const located_sink& problems) {
  require_unique_names(c.upstreams, "upstreams", problems);
  for (std::size_t i = 0; i < c.upstreams.size(); ++i) {
    const auto& u = c.upstreams[i];
    if (u.host.empty()) continue;  // the URL itself was reported
    if (u.https && u.tls.ca.empty()) {
      problems.add(at("upstreams", i, "tls.ca"),
                   "an https:// upstream needs tls.ca, the CA bundle that verifies it (the system "
                   "default store is not used); set tls.ca");
    }
    if (!u.https && problems.written(at("upstreams", i, "tls"))) {
      problems.add(at("upstreams", i, "tls"), "tls settings need an https:// url");
    }
  }
}

// "HTTP/exchange.example.test" or "HTTP/exchange.example.test@EXAMPLE.TEST": the delegation target.
std::string service_principal_problem(const std::string& spn) {
  const auto slash = spn.find('/');
  const auto at_sign = spn.find('@');
  if (slash == std::string::npos || slash == 0 || slash + 1 == spn.size() || slash + 1 == at_sign)
    return "expected service/host[@REALM] (like HTTP/exchange.example.test@EXAMPLE.TEST), got \"" + spn + "\"";
  if (at_sign != std::string::npos && (at_sign < slash || at_sign + 1 == spn.size() ||
                                       spn.find('@', at_sign + 1) != std::string::npos))
    return "expected service/host[@REALM] (like HTTP/exchange.example.test@EXAMPLE.TEST), got \"" + spn + "\"";
  return {};
}

// The realm of delegated principals (sAMAccountName@REALM) comes from kerberos.principal.
void validate_kerberos(const proxy_config& c, const located_sink& problems) {
  if (!c.kerberos) return;
  const auto& p = c.kerberos->principal;
  const auto at_sign = p.find('@');
  if (at_sign == std::string::npos || at_sign == 0 || at_sign + 1 == p.size() ||
      p.find('@', at_sign + 1) != std::string::npos) {
    problems.add("kerberos.principal",
                 "expected name@REALM (like svc-cba@EXAMPLE.TEST; the realm also names the delegated "
                 "accounts), got \"" + p + "\"");
  }
}

void validate_routes(proxy_config& c, const located_sink& problems) {
  if (c.routes.empty() && problems.written("routes")) problems.add("routes", "at least one route is required");
  bool kerberos_needed = false;
  for (std::size_t i = 0; i < c.routes.size(); ++i) {
    auto& r = c.routes[i];
    for (std::size_t j = 0; j < i; ++j) {
      if (!r.path_prefix.empty() && ascii_lower(r.path_prefix) == ascii_lower(c.routes[j].path_prefix)) {
        problems.add(at("routes", i, "path_prefix"),
                     "\"" + r.path_prefix + "\" repeats " + at("routes", j) +
                         " (prefixes are case-insensitive)");
        break;
      }
    }
    if (!r.upstream.empty()) {
      const auto found = std::find_if(c.upstreams.begin(), c.upstreams.end(),
                                      [&](const upstream_config& u) { return u.name == r.upstream; });
      if (found == c.upstreams.end()) {
        std::string names;
        for (const auto& u : c.upstreams) names += (names.empty() ? "" : ", ") + u.name;
        problems.add(at("routes", i, "upstream"),
                     "no upstream is named '" + r.upstream + "'" +
                         (names.empty() ? std::string{} : "; upstreams are: " + names));
      } else {
        r.upstream_index = static_cast<std::size_t>(found - c.upstreams.begin());
      }
    }
    if (r.auth == route_auth::kerberos) {
      kerberos_needed = true;
      if (r.service_principal.empty()) {
        problems.add(at("routes", i, "service_principal"),
                     "required for auth: kerberos (like HTTP/exchange.example.test@EXAMPLE.TEST)");
      } else if (auto why = service_principal_problem(r.service_principal); !why.empty()) {
        problems.add(at("routes", i, "service_principal"), why);
      }
    } else if (!r.service_principal.empty()) {
      problems.add(at("routes", i, "service_principal"), "only used by routes with auth: kerberos");
    }
  }
  if (kerberos_needed && !c.kerberos) {
    problems.add("kerberos", "a kerberos section is required when a route uses auth: kerberos");
  }
}

}  // namespace

void validate(proxy_config& config, const located_sink& problems) {
  validate_listeners(config, problems);
  validate_trust(config.trust, problems);
  validate_directory(config.directory, problems);
  validate_upstreams(config, problems);
  validate_routes(config, problems);
  validate_kerberos(config, problems);
}

}  // namespace cba::config
