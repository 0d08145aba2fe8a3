#pragma once
// One SPNEGO initiator context for one upstream connection: the first token (the value of the
// `Authorization` header) and, later, the check of the upstream's final mutual-authentication token.
//
// Made by delegation_service::async_start (the KDC work happens there, on its pool). verify_reply
// only processes the upstream's AP-REP locally (no KDC traffic), so it may run on an io thread.
//
// Thread safety: none; one connection (on its executor) owns it. Movable, not copyable; the GSS context
// is deleted with it (gss_delete_sec_context).

#include "proxy/auth/delegation_error.hpp"
#include "proxy/auth/gss_handles.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace cba::auth {

class negotiate_context {
 public:
  // "Negotiate <base64 SPNEGO token>", ready for the `Authorization` request header.
  const std::string& authorization() const noexcept { return authorization_; }
  // Just the base64 token (authorization() without the "Negotiate " prefix).
  std::string_view token_base64() const noexcept {
    const std::string_view v(authorization_);
    return v.size() > 10 ? v.substr(10) : std::string_view{};
  }
  // Raw token size in bytes (before base64), for the header-budget log line.
  std::size_t token_bytes() const noexcept { return token_bytes_; }
  const std::string& user_principal() const noexcept { return user_; }
  const std::string& service_principal() const noexcept { return spn_; }
  // True when the credential came from the cache (this start made no S4U exchange with the KDC).
  bool from_cache() const noexcept { return from_cache_; }
  // Whether channel bindings were put into the token.
  bool channel_bound() const noexcept { return channel_bound_; }

  // Checks the upstream's final token. `www_authenticate_value` is one WWW-Authenticate header value
  // ("Negotiate <base64>"; the scheme is matched case-insensitively). Returns an empty code when the
  // upstream proved it holds the service key (mutual authentication complete, context established);
  // errc::mutual_auth_failed with the GSS detail otherwise (no token, bad base64, wrong token, a
  // second call after success). Never throws.
  delegation_error verify_reply(std::string_view www_authenticate_value);
  // The same for the bare base64 token (the part after "Negotiate "); "" fails (no token).
  delegation_error verify_reply_token(std::string_view token_base64);
  // True once verify_reply succeeded.
  bool established() const noexcept { return established_; }

  negotiate_context(negotiate_context&&) noexcept = default;
  negotiate_context& operator=(negotiate_context&&) noexcept = default;
  negotiate_context(const negotiate_context&) = delete;
  negotiate_context& operator=(const negotiate_context&) = delete;
  ~negotiate_context() = default;

 private:
  friend class initiator;  // proxy/auth/initiator.hpp builds it on the pool
  negotiate_context() = default;

  gss_ctx ctx_;
  gss_name target_;
  std::string channel_binding_;  // application data, kept for the second init_sec_context call
  std::string authorization_;
  std::size_t token_bytes_ = 0;
  std::string user_;
  std::string spn_;
  bool from_cache_ = false;
  bool channel_bound_ = false;
  bool established_ = false;
};

}  // namespace cba::auth
