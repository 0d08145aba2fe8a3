#pragma once
// Incremental reader of one HTTP/1.1 response (status line, headers, a Content-Length or chunked
// body). Just enough to know where a response ends on a keep-alive connection; the servers under test
// are trusted, so this is no validating parser.

#include <cstddef>
#include <cstdint>
#include <string>

namespace cba::bench {

class response_reader {
 public:
  enum class state { incomplete, complete, error };

  void reset();
  // Consumes bytes; a response followed by more bytes is an error (no pipelining here).
  state feed(const char* data, std::size_t size);
  int status() const { return status_; }
  bool connection_close() const { return close_; }

 private:
  state parse_head();
  state consume_body(const char* data, std::size_t size);

  std::string head_;
  std::string chunk_line_;
  int status_ = 0;
  bool close_ = false;
  bool chunked_ = false;
  bool in_body_ = false;
  bool in_trailer_ = false;
  bool chunk_data_crlf_ = false;  // after a chunk's data: its CRLF is pending
  std::uint64_t remaining_ = 0;   // body bytes (Content-Length) or current chunk's data bytes
};

}  // namespace cba::bench
