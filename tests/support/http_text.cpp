#include "tests/support/http_text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace cba::test {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

char lower(char c) noexcept {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::size_t find_head_end(std::string_view data) noexcept {
  auto crlf = data.find("\r\n\r\n");
  auto lf = data.find("\n\n");
  std::size_t best = std::string_view::npos;
  if (crlf != std::string_view::npos) best = crlf + 4;
  if (lf != std::string_view::npos && (best == std::string_view::npos || lf + 2 < best)) best = lf + 2;
  return best;
}

std::optional<parsed_head> parse_head(std::string_view raw) {
  parsed_head head;
  bool first = true;
  while (!raw.empty()) {
    auto eol = raw.find('\n');
    if (eol == std::string_view::npos) return std::nullopt;
    auto line = raw.substr(0, eol);
    raw.remove_prefix(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (first) {
      head.start_line = std::string(line);
      first = false;
      continue;
    }
    if (line.empty()) return head;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    head.headers.emplace_back(std::string(line.substr(0, colon)), std::string(trim(line.substr(colon + 1))));
  }
  return std::nullopt;
}

std::optional<std::string> find_header(const header_list& headers, std::string_view name) {
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) return v;
  return std::nullopt;
}

std::vector<std::string> find_headers(const header_list& headers, std::string_view name) {
  std::vector<std::string> values;
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) values.push_back(v);
  return values;
}

bool has_token(const header_list& headers, std::string_view name, std::string_view token) {
  for (const auto& value : find_headers(headers, name)) {
    std::string_view rest = value;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      if (iequals(trim(rest.substr(0, comma)), token)) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

void chunked_decoder::feed(std::string& in, std::string& out) {
  std::size_t pos = 0;
  while (state_ != state::done && state_ != state::error) {
    if (state_ == state::data) {
      auto n = std::min(remaining_, in.size() - pos);
      if (n == 0) break;
      out.append(in, pos, n);
      pos += n;
      remaining_ -= n;
      if (remaining_ == 0) state_ = state::data_crlf;
      continue;
    }
    auto eol = in.find("\r\n", pos);
    if (eol == std::string::npos) {
      if (in.size() - pos > 4096) state_ = state::error;  // no sane line is that long
      break;
    }
    std::string_view line(in.data() + pos, eol - pos);
    pos = eol + 2;
    if (state_ == state::data_crlf) {
      state_ = line.empty() ? state::size : state::error;
    } else if (state_ == state::size) {
      auto ext = line.find(';');
      auto digits = trim(line.substr(0, ext));
      std::size_t size = 0;
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
      if (digits.empty() || ec != std::errc{} || p != digits.data() + digits.size()) {
        state_ = state::error;
      } else if (size == 0) {
        state_ = state::trailers;
      } else {
        remaining_ = size;
        state_ = state::data;
      }
    } else if (state_ == state::trailers) {
      if (line.empty()) state_ = state::done;
    }
  }
  in.erase(0, pos);
}

std::string encode_chunked(std::string_view body, std::size_t chunk_size) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  while (!body.empty()) {
    auto n = std::min(chunk_size, body.size());
    std::string size;
    for (auto v = n; v != 0; v /= 16) size.insert(size.begin(), hex[v % 16]);
    out += size;
    out += "\r\n";
    out.append(body.substr(0, n));
    out += "\r\n";
    body.remove_prefix(n);
  }
  out += "0\r\n\r\n";
  return out;
}

}  // namespace cba::test
