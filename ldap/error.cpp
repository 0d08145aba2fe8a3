#include "ldap/error.hpp"

#include <ldap.h>

#include <string>

namespace cba::ldap {
namespace {

// error_category's destructor is protected and non-virtual by design; instances are never deleted.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class ldap_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "cba.ldap"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::ok: return "success";
      case errc::not_found: return "no account has this UPN";
      case errc::ambiguous: return "more than one account matches this UPN";
      case errc::unavailable: return "no directory server could be reached";
      case errc::timeout: return "the directory did not answer in time";
      case errc::protocol: return "the directory answered something unusable";
      case errc::bad_entry:
        return "the account's directory entry lacks sAMAccountName or objectSid or has a malformed "
               "attribute (check the bind account's read rights)";
      case errc::connection_lost: return "the connection to the directory server was lost";
    }
    return "unknown directory error";
  }
};

class ldap_result_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "ldap"; }
  std::string message(int value) const override {
    return std::string(ldap_err2string(value)) + " (LDAP result " + std::to_string(value) + ")";
  }
};
#pragma GCC diagnostic pop

bool is_fatal_result(int code) noexcept {
  switch (code) {
    // The query itself was refused; the connection is fine.
    case LDAP_SUCCESS:
    case LDAP_NO_SUCH_OBJECT:
    case LDAP_INSUFFICIENT_ACCESS:
    case LDAP_INVALID_DN_SYNTAX:
    case LDAP_TIMELIMIT_EXCEEDED:
    case LDAP_SIZELIMIT_EXCEEDED:
    case LDAP_ADMINLIMIT_EXCEEDED:
    case LDAP_REFERRAL:
    case LDAP_INAPPROPRIATE_MATCHING:
    case LDAP_UNDEFINED_TYPE:
    case LDAP_FILTER_ERROR:
    case LDAP_PARAM_ERROR: return false;
    default: return true;
  }
}

}  // namespace

const boost::system::error_category& ldap_category() noexcept {
  static const ldap_category_impl category;
  return category;
}

const boost::system::error_category& ldap_result_category() noexcept {
  static const ldap_result_category_impl category;
  return category;
}

bool is_fatal(const boost::system::error_code& ec) noexcept {
  if (ec.category() == ldap_result_category()) return is_fatal_result(ec.value());
  if (ec.category() != ldap_category()) return static_cast<bool>(ec);
  switch (static_cast<errc>(ec.value())) {
    case errc::unavailable:
    case errc::timeout:
    case errc::protocol:
    case errc::connection_lost: return true;
    case errc::ok:
    case errc::not_found:
    case errc::ambiguous:
    case errc::bad_entry: return false;
  }
  return true;
}

}  // namespace cba::ldap
