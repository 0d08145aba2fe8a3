#pragma once

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace cba::ldap {

enum class errc {
  ok = 0,
  not_found = 1,    // no account has this UPN
  ambiguous,        // more than one account matched
  unavailable,      // no directory server could be reached
  timeout,          // the operation did not finish within its deadline
  protocol,         // the server answered something we cannot use
  bad_entry,        // the account's entry lacks or garbles a required attribute
  connection_lost,  // the connection dropped while the operation was in flight
};

const boost::system::error_category& ldap_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), ldap_category()};
}

// LDAP result codes (RFC 4511 and libldap's negative API codes) keep their number and
// ldap_err2string's text in this category.
const boost::system::error_category& ldap_result_category() noexcept;

inline boost::system::error_code make_result_error(int ldap_result_code) noexcept {
  return {ldap_result_code, ldap_result_category()};
}

// True when the error means the connection is unusable (drop it), false when only one lookup failed.
bool is_fatal(const boost::system::error_code& ec) noexcept;

}  // namespace cba::ldap

template <>
struct boost::system::is_error_code_enum<cba::ldap::errc> : std::true_type {};
