#include "bench/loadgen/response_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string_view>

namespace cba::bench {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

void response_reader::reset() {
  head_.clear();
  chunk_line_.clear();
  status_ = 0;
  close_ = chunked_ = in_body_ = in_trailer_ = chunk_data_crlf_ = false;
  remaining_ = 0;
}

response_reader::state response_reader::feed(const char* data, std::size_t size) {
  if (in_body_) return consume_body(data, size);
  const std::size_t before = head_.size();
  head_.append(data, size);
  const auto end = head_.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
  if (end == std::string::npos) return head_.size() > 65536 ? state::error : state::incomplete;
  const std::size_t body_start = end + 4;
  const std::size_t extra = head_.size() - body_start;
  head_.resize(end + 2);
  const state s = parse_head();
  if (s == state::error) return s;
  in_body_ = true;
  return consume_body(data + (size - extra), extra);
}

response_reader::state response_reader::parse_head() {
  std::string_view h = head_;
  auto eol = h.find("\r\n");
  std::string_view status_line = h.substr(0, eol);
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12) return state::error;
  auto [p, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, status_);
  if (ec != std::errc{}) return state::error;
  bool have_length = false;
  h.remove_prefix(eol + 2);
  while (!h.empty()) {
    eol = h.find("\r\n");
    std::string_view line = h.substr(0, eol);
    h.remove_prefix(eol == std::string_view::npos ? h.size() : eol + 2);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      auto [q, e2] = std::from_chars(value.data(), value.data() + value.size(), remaining_);
      if (e2 != std::errc{}) return state::error;
      have_length = true;
    } else if (iequals(name, "transfer-encoding")) {
      chunked_ = value.find("chunked") != std::string_view::npos;
    } else if (iequals(name, "connection")) {
      close_ = iequals(value, "close");
    }
  }
  if (!chunked_ && !have_length) {
    if (status_ != 204 && status_ != 304) return state::error;  // a body read to EOF: not supported
    remaining_ = 0;
  }
  return state::incomplete;
}

response_reader::state response_reader::consume_body(const char* data, std::size_t size) {
  std::string_view in(data, size);
  if (!chunked_) {
    if (in.size() > remaining_) return state::error;
    remaining_ -= in.size();
    return remaining_ == 0 ? state::complete : state::incomplete;
  }
  while (!in.empty()) {
    if (remaining_ > 0) {
      const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
      remaining_ -= take;
      in.remove_prefix(take);
      if (remaining_ == 0) chunk_data_crlf_ = true;
      continue;
    }
    // A line: a chunk size, the CRLF after chunk data, or a trailer line.
    auto eol = in.find('\n');
    chunk_line_.append(in.substr(0, eol == std::string_view::npos ? in.size() : eol + 1));
    if (eol == std::string_view::npos) return chunk_line_.size() > 4096 ? state::error : state::incomplete;
    in.remove_prefix(eol + 1);
    std::string_view line = trim(chunk_line_);
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    line = trim(line);
    if (chunk_data_crlf_) {
      chunk_data_crlf_ = false;
      if (!line.empty()) return state::error;
    } else if (in_trailer_) {
      if (line.empty()) return in.empty() ? state::complete : state::error;
    } else {
      std::uint64_t n = 0;
      auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), n, 16);
      if (ec != std::errc{}) return state::error;
      if (n == 0) in_trailer_ = true;
      remaining_ = n;
    }
    chunk_line_.clear();
  }
  return state::incomplete;
}

}  // namespace cba::bench
