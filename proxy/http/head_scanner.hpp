#pragma once
// Finds the end of a request head in the bytes received so far and refuses heads that are too large,
// have too many fields, or are framed in ways that different HTTP parsers read differently (obs-fold,
// bare CR/LF, whitespace before a colon, control characters). Runs before Beast's parser sees a byte,
// so what reaches the parser and, later, the upstream is unambiguous.
//
// Byte accounting is what Beast's header_limit documents: the request line, every field line and the
// final empty line, CRLFs included. A head of exactly max_bytes passes; one byte more is
// header_too_large. Beast 1.81 itself is only exact when the head arrives in pieces (given in one
// piece it does not count the request line), and it accepts obs-fold (joining the lines), so these
// checks must run before the parser (tests/http/beast_behaviour_tests.cpp records both).

#include "proxy/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cba::http {

struct head_limits {
  std::uint64_t max_bytes = 49152;  // listeners[].limits.request_header_bytes
  std::uint32_t max_fields = 100;   // listeners[].limits.request_header_count (Host included)
};

struct head_scan {
  enum class state { incomplete, complete, error };
  state st = state::incomplete;
  std::size_t head_bytes = 0;  // complete: length of the head, final CRLF included; error: bytes examined
  cba::errc reason = cba::errc::ok;  // error only: header_too_large, too_many_headers, obs_fold, bad_request
  std::string detail;                // error only: what was wrong, for the log and the 4xx body
};

// Resumable: each call continues where the previous one stopped, so feeding a head one byte at a
// time costs linear time in total. `buffered` must be everything received for this request so far
// (each call's bytes extend the previous call's). Once complete or error, the result is sticky until
// reset(). Bytes after the head (a pipelined request) are never examined.
class head_scanner {
 public:
  explicit head_scanner(head_limits limits) noexcept : limits_(limits) {}

  head_scan scan(std::string_view buffered);
  void reset() noexcept;

 private:
  enum class pos {
    request_line_start,
    request_line,
    request_line_cr,
    line_start,
    field_name,
    field_value,
    field_value_cr,
    final_cr,
  };
  head_scan fail(cba::errc reason, std::string detail);

  head_limits limits_;
  pos pos_ = pos::request_line_start;
  std::size_t offset_ = 0;  // bytes of `buffered` already examined
  std::uint64_t fields_ = 0;
  head_scan result_;        // sticky once complete or error
};

// One-shot convenience: scans `buffered` from the start.
head_scan scan_request_head(std::string_view buffered, const head_limits& limits);

}  // namespace cba::http
