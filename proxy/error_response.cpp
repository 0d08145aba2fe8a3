#include "proxy/error_response.hpp"

#include <boost/beast/http/field.hpp>

#include <string>

namespace cba {

boost::beast::http::response<boost::beast::http::string_body> make_error_response(errc reason, unsigned status,
                                                                            std::string_view detail) {
  namespace bhttp = boost::beast::http;
  bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(status), 11};
  response.set(bhttp::field::server, "cba-proxy");
  response.set(bhttp::field::content_type, "text/plain; charset=utf-8");
  response.set(bhttp::field::cache_control, "no-store");
  // The message is the category's fixed text: it names the limit or rule, never client data.
  std::string body = std::to_string(status) + " " + std::string(bhttp::obsolete_reason(response.result())) +
                     "\nreason: " + std::string(reason_code(reason)) + "\n" +
                     make_error_code(reason).message() + "\n";
  if (!detail.empty() && detail_is_public(reason)) {
    body += detail;
    body += '\n';
  }
  response.body() = std::move(body);
  response.keep_alive(false);
  response.prepare_payload();
  return response;
}

bool detail_is_public(errc reason) noexcept {
  switch (reason) {
    case errc::header_too_large:
    case errc::too_many_headers:
    case errc::upstream_header_too_large:  // names the header the client can shrink
    case errc::body_too_large:
    case errc::header_timeout: return true;
    default: return false;
  }
}

}  // namespace cba
