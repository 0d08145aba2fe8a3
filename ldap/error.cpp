#include "ldap/error.hpp"

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
    }
    return "unknown directory error";
  }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& ldap_category() noexcept {
  static const ldap_category_impl category;
  return category;
}

bool is_fatal(const boost::system::error_code& ec) noexcept {
  if (ec.category() != ldap_category()) return static_cast<bool>(ec);
  switch (static_cast<errc>(ec.value())) {
    case errc::unavailable:
    case errc::timeout:
    case errc::protocol: return true;
    case errc::ok:
    case errc::not_found:
    case errc::ambiguous: return false;
  }
  return true;
}

}  // namespace cba::ldap
