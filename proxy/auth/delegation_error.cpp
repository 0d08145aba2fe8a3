#include "proxy/auth/delegation_error.hpp"

#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

namespace cba::auth {

void throw_exception_from_error(const delegation_error& e, const boost::source_location& loc) {
  boost::throw_exception(boost::system::system_error(e.code, e.detail), loc);
}

}  // namespace cba::auth
