#pragma once
// Strip, then add (style.md rule 18; requirements 18 and invariant 2).
//
// Request headers going upstream, in this order:
//  1. Collect the tokens of every Connection header.
//  2. Strip, on every route: Authorization, Proxy-Authorization, every identity_headers.set and .strip
//     name, the hop-by-hop headers (Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade,
//     HTTP2-Settings), every header a Connection token names, Forwarded, X-Forwarded-For/-Proto/-Host/
//     -Port/-Server, X-Real-IP, Client-Cert, Client-Cert-Chain (RFC 9440), X-Client-Cert,
//     X-ARR-ClientCert and X-ARR-SSL (IIS ARR's certificate headers). All occurrences; names compare ASCII
//     case-insensitively and with '_' equal to '-' (CGI-style servers map both to HTTP_X_REMOTE_USER).
//  3. Add: for auth: headers with an identity, each identity_headers.set header rendered from it, in
//     config order (omitted when it renders empty); X-Forwarded-For = the client address (replacing: we
//     are the edge); X-Forwarded-Proto = https.
// Host, Content-Length and Transfer-Encoding are never touched: the relay owns framing. A Connection
// token naming one of them is ignored (the header is kept) and reported, so the session can log it;
// dropping them would change how the upstream frames the body. Expect is left to the relay too.
//
// Response headers coming back: hop-by-hop headers, Proxy-Authenticate and the headers Connection names
// are stripped (framing again kept), and WWW-Authenticate challenges for Negotiate/NTLM/Kerberos: the
// proxy answers the upstream's authentication itself; a client seeing them would try to log on.
// Set-Cookie and everything else pass.

#include "config/config.hpp"
#include "proxy/http/identity_template.hpp"
#include "proxy/identity.hpp"

#include <boost/beast/http/fields.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cba::http {

struct forwarding_facts {
  config::route_auth auth = config::route_auth::none;
  const cba::client_identity* identity = nullptr;  // null when the connection has none
  std::string_view client_address;                 // IP, no port ("192.0.2.7", "2001:db8::1")
};

struct rewrite_report {
  // Connection tokens that named Host, Content-Length or Transfer-Encoding (kept); non-empty is
  // suspicious (a request smuggling probe) and worth a log line.
  std::vector<std::string> ignored_connection_tokens;
};

class header_policy {
 public:
  // nullopt and a message naming the key (identity_headers.set.X-Remote-User: ...) when a name is not a
  // header token, a template does not compile, or a set header would override one the proxy owns
  // (Host, framing, hop-by-hop, Authorization, X-Forwarded-*).
  static std::optional<header_policy> create(const config::identity_headers_config& config,
                                             std::string& error);

  rewrite_report rewrite_for_upstream(boost::beast::http::fields& fields, const forwarding_facts& facts) const;
  // Whether any identity_headers.set template renders `field` (a connection need not keep a value
  // nothing reads).
  bool renders(identity_field field) const noexcept;

 private:
  header_policy() = default;
  bool strip_on_request(std::string_view name) const noexcept;

  std::vector<std::pair<std::string, identity_template>> set_;
  std::vector<std::string> strip_;  // configured strip names
};

// Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade, HTTP2-Settings, Proxy-Authenticate,
// Proxy-Authorization. Not Transfer-Encoding: the relay owns framing.
bool is_hop_by_hop(std::string_view name) noexcept;

// ASCII case-insensitive, '_' and '-' equal.
bool header_name_equals(std::string_view a, std::string_view b) noexcept;

void rewrite_response_headers(boost::beast::http::fields& fields);

}  // namespace cba::http
