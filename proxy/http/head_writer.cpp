#include "proxy/http/head_writer.hpp"

#include <boost/beast/http/status.hpp>

namespace cba::http {
namespace {

namespace bhttp = boost::beast::http;

void append_version(unsigned version, std::string& out) {
  out += "HTTP/";
  out.push_back(static_cast<char>('0' + version / 10));
  out.push_back('.');
  out.push_back(static_cast<char>('0' + version % 10));
}

void append_fields(const bhttp::fields& fields, std::string& out) {
  for (const auto& field : fields) {
    const auto name = field.name_string();
    const auto value = field.value();
    out.append(name.data(), name.size());
    out += ": ";
    out.append(value.data(), value.size());
    out += "\r\n";
  }
  out += "\r\n";
}

}  // namespace

void append_request_head(const bhttp::request_header<>& head, std::string& out) {
  const auto method = head.method_string();
  const auto target = head.target();
  out.append(method.data(), method.size());
  out.push_back(' ');
  out.append(target.data(), target.size());
  out.push_back(' ');
  append_version(head.version(), out);
  out += "\r\n";
  append_fields(head, out);
}

void append_response_head(const bhttp::response_header<>& head, std::string& out) {
  append_version(head.version(), out);
  out.push_back(' ');
  // Three digits, as Beast writes them (its parser accepts no other status).
  const unsigned status = head.result_int() % 1000;
  out.push_back(static_cast<char>('0' + status / 100));
  out.push_back(static_cast<char>('0' + status / 10 % 10));
  out.push_back(static_cast<char>('0' + status % 10));
  out.push_back(' ');
  auto reason = head.reason();
  if (reason.empty()) reason = bhttp::obsolete_reason(head.result());
  out.append(reason.data(), reason.size());
  out += "\r\n";
  append_fields(head, out);
}

}  // namespace cba::http
