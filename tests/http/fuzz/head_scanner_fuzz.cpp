// libFuzzer target: the request head as the session handles it. Checks that the head scanner is
// consistent when fed in pieces, that what it accepts Beast can frame, and that nothing downstream
// (framing checks, path policy, routing) crashes or trips a sanitizer on whatever passes.
//
//   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ && ninja -C build-fuzz head_scanner_fuzz
//   build-fuzz/tests/http/fuzz/head_scanner_fuzz -max_total_time=60 -max_len=1024 CORPUS_DIR tests/http/fuzz/corpus

#include "proxy/http/head_scanner.hpp"
#include "proxy/http/header_policy.hpp"
#include "proxy/http/path_policy.hpp"
#include "proxy/http/request_framing.hpp"
#include "proxy/http/route_table.hpp"

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

const cba::http::route_table& routes() {
  static const cba::http::route_table table = [] {
    std::vector<cba::config::route_config> r(4);
    r[0].path_prefix = "/";
    r[1].path_prefix = "/owa";
    r[2].path_prefix = "/owa/admin/";
    r[3].path_prefix = "/Microsoft-Server-ActiveSync";
    return cba::http::route_table(std::move(r));
  }();
  return table;
}

const cba::http::header_policy& policy() {
  static const cba::http::header_policy p = [] {
    cba::config::identity_headers_config c;
    c.set = {{"X-Remote-User", "{sam_account_name}"}, {"X-Client-Subject", "{cert_subject}"}};
    c.strip = {"X-Forwarded-User"};
    std::string error;
    return *cba::http::header_policy::create(c, error);
  }();
  return p;
}

std::size_t count(const boost::beast::http::fields& f, std::string_view name) {
  std::size_t n = 0;
  for (const auto& field : f)
    if (cba::http::header_name_equals(field.name_string(), name)) ++n;
  return n;
}

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using cba::http::head_scan;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // Small limits so the size and count paths are reached often.
  const cba::http::head_limits limits{512, 8};
  const auto whole = cba::http::scan_request_head(input, limits);

  // Fed in pieces whose sizes come from the input itself: same verdict, same length.
  cba::http::head_scanner scanner{limits};
  head_scan pieces;
  std::size_t fed = 0;
  std::size_t step = 1;
  while (true) {
    pieces = scanner.scan(input.substr(0, fed));
    if (pieces.st != head_scan::state::incomplete || fed == size) break;
    step = (step * 7 + (fed < size ? data[fed] : 1u)) % 61 + 1;
    fed = std::min(size, fed + step);
  }
  check(pieces.st == whole.st);
  check(pieces.reason == whole.reason);
  if (whole.st == head_scan::state::complete) {
    check(pieces.head_bytes == whole.head_bytes);
    check(whole.head_bytes <= limits.max_bytes);
    check(input.substr(whole.head_bytes - 4, 4) == "\r\n\r\n");
  }
  if (whole.st != head_scan::state::complete) return 0;

  namespace bhttp = boost::beast::http;
  bhttp::request_parser<bhttp::empty_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits.max_bytes));
  parser.eager(false);
  boost::beast::error_code ec;
  const auto used = parser.put(boost::asio::buffer(input.data(), whole.head_bytes), ec);
  if (ec) return 0;
  // A head the scanner found complete is complete to Beast too, with the same length.
  check(parser.is_header_done());
  check(used == whole.head_bytes);

  const auto& header = parser.get().base();
  const auto framing = cba::http::check_request_framing(header);
  if (!framing.ok()) return 0;
  const auto path = cba::http::check_request_path(header.target());
  if (!path.ok()) return 0;
  (void)routes().match(header.target());

  // Strip-then-add on whatever survived: no client credential or identity survives, ours are single,
  // and no value can end a header line. The certificate subject is taken from the input as well.
  cba::client_identity identity;
  identity.certificate.subject = std::string(input.substr(0, std::min<std::size_t>(size, 64)));
  identity.account.emplace().sam_account_name = "alice";
  boost::beast::http::fields fields = header;  // copies the fields part of the header
  const auto hosts = count(fields, "Host");
  policy().rewrite_for_upstream(fields, {cba::config::route_auth::headers, &identity, "192.0.2.1"});
  check(count(fields, "Authorization") == 0);
  check(count(fields, "Proxy-Authorization") == 0);
  check(count(fields, "X-Forwarded-User") == 0);
  check(count(fields, "Connection") == 0);
  check(count(fields, "X-Remote-User") == 1);
  check(count(fields, "X-Forwarded-For") == 1);
  check(count(fields, "Host") == hosts);
  for (const auto& f : fields) check(f.value().find_first_of("\r\n") == std::string_view::npos);

  boost::beast::http::fields response = header;
  cba::http::rewrite_response_headers(response);
  check(count(response, "Connection") == 0);
  return 0;
}
