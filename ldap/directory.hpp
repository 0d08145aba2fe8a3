#pragma once
// The directory seam: resolve a certificate's UPN to one account. LDAP and the embedded file directory
// implement it; tests may replace it.

#include "ldap/account.hpp"
#include "ldap/directory_stats.hpp"
#include "ldap/error.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include <string_view>

namespace cba::ldap {

using lookup_result = boost::system::result<directory_account>;

class directory {
 public:
  virtual ~directory() = default;
  // `upn` as found in the certificate; implementations normalise (case-insensitive match).
  // Errors: errc::not_found, errc::ambiguous, errc::unavailable (DC outage), errc::timeout.
  virtual boost::asio::awaitable<lookup_result> lookup(std::string_view upn) = 0;
  // False while the directory cannot answer (for /readyz).
  virtual bool ready() const noexcept { return true; }
  // Cache and query counters for /metrics (all zero for directories without a cache).
  virtual directory_stats stats() const noexcept { return {}; }
};

}  // namespace cba::ldap
