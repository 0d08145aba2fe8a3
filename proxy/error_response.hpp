#pragma once
// The proxy's own answers to refused requests: a status, a short text body naming the reason code and
// what to fix, and Connection: close. Never a WWW-Authenticate header: a 401 would make ActiveSync
// devices prompt for a password, so identity refusals are 403.

#include "proxy/error.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace cba {

boost::beast::http::response<boost::beast::http::string_body> make_error_response(errc reason, unsigned status);

}  // namespace cba
