#pragma once
// The proxy's own answers to refused requests: a status, a short text body naming the reason code and
// what to fix, and Connection: close. Never a WWW-Authenticate header: a 401 would make ActiveSync
// devices prompt for a password, so identity refusals are 403.

#include "proxy/error.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string_view>

namespace cba {

// `public_detail` is added to the body only for reasons whose detail holds no client data (the limits).
boost::beast::http::response<boost::beast::http::string_body> make_error_response(errc reason, unsigned status,
                                                                                   std::string_view detail = {});

// True for reasons whose detail names a configured limit and nothing the client sent.
bool detail_is_public(errc reason) noexcept;

}  // namespace cba
