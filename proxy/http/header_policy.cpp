#include "proxy/http/header_policy.hpp"

#include "config/header_template.hpp"

#include "proxy/http/ascii.hpp"

#include <boost/beast/http/field.hpp>

#include <algorithm>
#include <array>

namespace cba::http {
namespace {

namespace bhttp = boost::beast::http;

constexpr std::array<std::string_view, 9> hop_by_hop_names{
    "Connection", "Keep-Alive", "Proxy-Connection", "TE",  "Trailer", "Upgrade", "HTTP2-Settings",
    "Proxy-Authenticate", "Proxy-Authorization"};

// Client-supplied headers that only the edge may set: credentials, forwarding facts, client
// certificates.
constexpr std::array<std::string_view, 14> always_stripped_names{
    "Authorization",     "Proxy-Authorization", "Forwarded",          "X-Forwarded-For",
    "X-Forwarded-Proto", "X-Forwarded-Host",    "X-Forwarded-Port",   "X-Forwarded-Server",
    "X-Real-IP",         "Client-Cert",         "Client-Cert-Chain",  "X-Client-Cert",
    "X-ARR-ClientCert",  "X-ARR-SSL"};

// Framing and routing headers: a Connection token never removes them, configuration never sets them.
constexpr std::array<std::string_view, 3> framing_names{"Host", "Content-Length", "Transfer-Encoding"};

template <std::size_t N>
bool in(const std::array<std::string_view, N>& names, std::string_view name) noexcept {
  return std::any_of(names.begin(), names.end(),
                     [name](std::string_view n) { return header_name_equals(n, name); });
}

bool is_framing(std::string_view name) noexcept { return in(framing_names, name); }

// Lower-case with '_' as '-': the key header_name_equals compares by.
std::string normalised(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = (c == '_') ? '-' : ascii::to_lower(c);
  return out;
}

// Calls f(element) for each non-empty element of a comma-separated list, OWS trimmed. Quoted strings
// are honoured so a comma inside quotes does not split.
template <class F>
void for_each_list_element(std::string_view list, F&& f) {
  std::size_t start = 0;
  bool quoted = false;
  for (std::size_t i = 0; i <= list.size(); ++i) {
    if (i < list.size()) {
      const char c = list[i];
      if (quoted && c == '\\' && i + 1 < list.size()) {  // quoted-pair: skip the escaped octet
        ++i;
        continue;
      }
      if (c == '"') quoted = !quoted;
      if (quoted || c != ',') continue;
    }
    const auto element = ascii::trim_ows(list.substr(start, i - start));
    if (!element.empty()) f(element);
    start = i + 1;
  }
}

// The normalised names listed by every Connection header, sorted and unique.
std::vector<std::string> connection_tokens(const bhttp::fields& fields) {
  std::vector<std::string> tokens;
  const auto range = fields.equal_range(bhttp::field::connection);
  for (auto it = range.first; it != range.second; ++it)
    for_each_list_element(it->value(), [&](std::string_view t) { tokens.push_back(normalised(t)); });
  std::sort(tokens.begin(), tokens.end());
  tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
  return tokens;
}

bool named_by(const std::vector<std::string>& tokens, std::string_view name) {
  return std::binary_search(tokens.begin(), tokens.end(), normalised(name));
}

// A challenge element starts with its auth-scheme: "Negotiate", "NTLM abc=", "Negotiate <token68>".
bool is_windows_auth_challenge(std::string_view value) {
  bool found = false;
  for_each_list_element(value, [&](std::string_view element) {
    const auto scheme = element.substr(0, element.find(' '));
    if (ascii::iequals(scheme, "Negotiate") || ascii::iequals(scheme, "NTLM") ||
        ascii::iequals(scheme, "Kerberos"))
      found = true;
  });
  return found;
}

template <class Pred>
void erase_if(bhttp::fields& fields, Pred&& pred) {
  for (auto it = fields.begin(); it != fields.end();) {
    if (pred(*it))
      it = fields.erase(it);
    else
      ++it;
  }
}

}  // namespace

bool header_name_equals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char x = a[i] == '_' ? '-' : ascii::to_lower(a[i]);
    const char y = b[i] == '_' ? '-' : ascii::to_lower(b[i]);
    if (x != y) return false;
  }
  return true;
}

bool is_hop_by_hop(std::string_view name) noexcept { return in(hop_by_hop_names, name); }

std::optional<header_policy> header_policy::create(const config::identity_headers_config& config,
                                                   std::string& error) {
  header_policy policy;
  for (const auto& [name, text] : config.set) {
    const std::string where = "identity_headers.set." + name + ": ";
    if (!ascii::is_token(name)) {
      error = where + "not a valid header name";
      return std::nullopt;
    }
    if (auto problem = config::identity_header_set_problem(name); !problem.empty()) {
      error = where + problem;
      return std::nullopt;
    }
    for (const auto& [other, unused] : policy.set_) {
      if (header_name_equals(other, name)) {
        error = where + "set twice (names compare case-insensitively, '_' as '-')";
        return std::nullopt;
      }
    }
    std::string template_error;
    auto compiled = identity_template::compile(text, template_error);
    if (!compiled) {
      error = where + template_error;
      return std::nullopt;
    }
    policy.set_.emplace_back(name, std::move(*compiled));
  }
  for (const auto& name : config.strip) {
    const std::string where = "identity_headers.strip: " + name + ": ";
    if (!ascii::is_token(name)) {
      error = where + "not a valid header name";
      return std::nullopt;
    }
    if (is_framing(name)) {
      error = where + "Host, Content-Length and Transfer-Encoding cannot be stripped";
      return std::nullopt;
    }
    policy.strip_.push_back(name);
  }
  return policy;
}

bool header_policy::strip_on_request(std::string_view name) const noexcept {
  if (is_hop_by_hop(name) || in(always_stripped_names, name)) return true;
  for (const auto& [set_name, unused] : set_)
    if (header_name_equals(set_name, name)) return true;
  for (const auto& strip_name : strip_)
    if (header_name_equals(strip_name, name)) return true;
  return false;
}

rewrite_report header_policy::rewrite_for_upstream(bhttp::fields& fields, const forwarding_facts& facts) const {
  rewrite_report report;
  const auto tokens = connection_tokens(fields);
  for (const auto& token : tokens)
    if (is_framing(token)) report.ignored_connection_tokens.push_back(token);

  erase_if(fields, [&](const bhttp::fields::value_type& f) {
    const auto name = f.name_string();
    if (is_framing(name)) return false;
    return strip_on_request(name) || named_by(tokens, name);
  });

  if (facts.auth == config::route_auth::headers && facts.identity != nullptr) {
    for (const auto& [name, compiled] : set_) {
      auto value = compiled.render(*facts.identity);
      if (!value.empty()) fields.insert(name, value);
    }
  }
  if (!facts.client_address.empty()) {
    std::string address;
    append_header_safe(address, facts.client_address);
    fields.insert("X-Forwarded-For", address);
  }
  fields.insert("X-Forwarded-Proto", "https");
  return report;
}

bool header_policy::renders(identity_field field) const noexcept {
  return std::any_of(set_.begin(), set_.end(), [field](const auto& entry) { return entry.second.uses(field); });
}

void rewrite_response_headers(bhttp::fields& fields) {
  const auto tokens = connection_tokens(fields);
  erase_if(fields, [&](const bhttp::fields::value_type& f) {
    const auto name = f.name_string();
    if (is_framing(name)) return false;
    if (is_hop_by_hop(name) || named_by(tokens, name)) return true;
    return f.name() == bhttp::field::www_authenticate && is_windows_auth_challenge(f.value());
  });
}

}  // namespace cba::http
