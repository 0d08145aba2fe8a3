#include "proxy/http/head_scanner.hpp"

#include "proxy/http/ascii.hpp"

#include <utility>

namespace cba::http {

head_scan head_scanner::fail(cba::errc reason, std::string detail) {
  result_.st = head_scan::state::error;
  result_.head_bytes = offset_;
  result_.reason = reason;
  result_.detail = std::move(detail);
  return result_;
}

void head_scanner::reset() noexcept {
  pos_ = pos::request_line_start;
  offset_ = 0;
  fields_ = 0;
  result_ = head_scan{};
}

head_scan head_scanner::scan(std::string_view buffered) {
  if (result_.st != head_scan::state::incomplete) return result_;

  const auto too_large = [this] {
    return fail(cba::errc::header_too_large,
                "request head exceeds limits.request_header_bytes (" + std::to_string(limits_.max_bytes) +
                    " bytes)");
  };
  const auto bad = [this](std::string what) { return fail(cba::errc::bad_request, std::move(what)); };

  while (offset_ < buffered.size()) {
    // Examining byte number offset_+1: past the limit as soon as that exceeds max_bytes.
    if (offset_ >= limits_.max_bytes) return too_large();
    const char c = buffered[offset_];
    switch (pos_) {
      case pos::request_line_start:
        if (ascii::is_ows(c)) return bad("whitespace before the request line");
        if (c == '\r' || c == '\n') return bad("empty line before the request line");
        if (ascii::is_ctl(c)) return bad("control character in the request line");
        pos_ = pos::request_line;
        break;
      case pos::request_line:
        if (c == '\r') {
          pos_ = pos::request_line_cr;
        } else if (c == '\n') {
          return bad("bare LF in the request line");
        } else if (ascii::is_ctl(c)) {
          return bad("control character in the request line");
        }
        break;
      case pos::request_line_cr:
        if (c != '\n') return bad("bare CR in the request line");
        pos_ = pos::line_start;
        break;
      case pos::line_start:
        if (c == '\r') {
          pos_ = pos::final_cr;
        } else if (c == '\n') {
          return bad("bare LF in the request head");
        } else if (ascii::is_ows(c)) {
          return fail(cba::errc::obs_fold, "obsolete line folding (a field line starts with whitespace)");
        } else if (c == ':') {
          return bad("empty field name");
        } else if (!ascii::is_tchar(c)) {
          return bad("invalid character in a field name");
        } else {
          if (++fields_ > limits_.max_fields)
            return fail(cba::errc::too_many_headers, "request has more than limits.request_header_count (" +
                                                         std::to_string(limits_.max_fields) + ") header fields");
          pos_ = pos::field_name;
        }
        break;
      case pos::field_name:
        if (c == ':') {
          pos_ = pos::field_value;
        } else if (ascii::is_ows(c)) {
          return bad("whitespace between a field name and its colon");
        } else if (c == '\r' || c == '\n') {
          return bad("field line without a colon");
        } else if (!ascii::is_tchar(c)) {
          return bad("invalid character in a field name");
        }
        break;
      case pos::field_value:
        if (c == '\r') {
          pos_ = pos::field_value_cr;
        } else if (c == '\n') {
          return bad("bare LF in a field line");
        } else if (c == '\0') {
          return bad("NUL in a field value");
        } else if (ascii::is_ctl(c) && c != '\t') {
          return bad("control character in a field value");
        }
        break;
      case pos::field_value_cr:
        if (c != '\n') return bad("bare CR in a field line");
        pos_ = pos::line_start;
        break;
      case pos::final_cr:
        if (c != '\n') return bad("bare CR in the request head");
        ++offset_;
        result_.st = head_scan::state::complete;
        result_.head_bytes = offset_;
        return result_;
    }
    ++offset_;
  }
  // Out of bytes without the final CRLF: the head is at least one byte longer than what we have.
  if (offset_ >= limits_.max_bytes) return too_large();
  return result_;
}

head_scan scan_request_head(std::string_view buffered, const head_limits& limits) {
  head_scanner scanner{limits};
  return scanner.scan(buffered);
}

}  // namespace cba::http
