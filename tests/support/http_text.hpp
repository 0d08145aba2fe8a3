#pragma once
// Minimal HTTP/1.1 text handling for the test tools (recording upstream, raw client). Deliberately
// independent of the proxy's own parser: the tests must not share the code they check.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cba::test {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct parsed_head {
  std::string start_line;  // "GET / HTTP/1.1" or "HTTP/1.1 200 OK"
  header_list headers;     // in order, names as sent, values trimmed
};

// Splits a head (bytes up to and including the empty line). Lenient: accepts bare LF line ends.
std::optional<parsed_head> parse_head(std::string_view raw);

bool iequals(std::string_view a, std::string_view b) noexcept;
// First value of `name`, case-insensitive.
std::optional<std::string> find_header(const header_list& headers, std::string_view name);
std::vector<std::string> find_headers(const header_list& headers, std::string_view name);
// True when a comma-separated header value list contains `token` (case-insensitive).
bool has_token(const header_list& headers, std::string_view name, std::string_view token);

// Position just past the end of the head ("\r\n\r\n" or "\n\n"), or npos when incomplete.
std::size_t find_head_end(std::string_view data) noexcept;

// Incremental decoder of a chunked body. feed() consumes from the front of `in` what it can.
class chunked_decoder {
 public:
  enum class state { size, data, data_crlf, trailers, done, error };
  // Appends decoded bytes to `out`; erases consumed bytes from `in`.
  void feed(std::string& in, std::string& out);
  bool done() const noexcept { return state_ == state::done; }
  bool failed() const noexcept { return state_ == state::error; }

 private:
  state state_ = state::size;
  std::size_t remaining_ = 0;
};

// Encodes `body` as chunks of at most `chunk_size` bytes plus the last chunk.
std::string encode_chunked(std::string_view body, std::size_t chunk_size);

}  // namespace cba::test
