#pragma once
// Why an upstream connection could not be had: a reason code for status mapping and metrics, and a
// detail line for the log that names the upstream and the underlying cause.

#include "proxy/error.hpp"

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

#include <string>

namespace cba::upstream {

struct upstream_error {
  // cba::errc::upstream_connect_failed, upstream_timeout or upstream_tls_failed.
  boost::system::error_code code;
  // "connect to exchange.example.test:443 failed: Connection refused", OpenSSL's verify error, ...
  std::string detail;
};

// Lets boost::system::result<T, upstream_error>::value() throw (start-up code and tests only).
[[noreturn]] inline void throw_exception_from_error(const upstream_error& e,
                                                    const boost::source_location& loc) {
  boost::throw_exception(boost::system::system_error(e.code, e.detail), loc);
}

}  // namespace cba::upstream
