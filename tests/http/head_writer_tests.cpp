// head_writer renders exactly the bytes Beast's serializer writes for the same header: the relay
// switched from one to the other for small messages, and an upstream or client must not see a difference.
#include "proxy/http/head_writer.hpp"

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/serializer.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace bhttp = boost::beast::http;
using cba::http::append_request_head;
using cba::http::append_response_head;

namespace {

// What Beast's serializer writes for the header of `message` (an empty body: the head alone).
template <bool is_request>
std::string beast_head(bhttp::message<is_request, bhttp::empty_body>& message) {
  bhttp::serializer<is_request, bhttp::empty_body> serializer{message};
  std::string out;
  boost::system::error_code ec;
  serializer.split(true);
  while (!serializer.is_header_done()) {
    serializer.next(ec, [&](boost::system::error_code&, const auto& buffers) {
      for (const auto b : boost::beast::buffers_range_ref(buffers))
        out.append(static_cast<const char*>(b.data()), b.size());
      serializer.consume(boost::asio::buffer_size(buffers));
    });
    REQUIRE_FALSE(ec);
  }
  return out;
}

}  // namespace

TEST_CASE("head_writer: a request head is byte for byte Beast's", "[head_writer]") {
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, "/owa/?a=b%20c", 11};
  req.set(bhttp::field::host, "mail.example.test");
  req.insert("X-Remote-User", "alice");
  req.insert("X-Remote-User", "second value, same name");
  req.insert("X-Custom-Unknown", "");
  std::string out = "kept:";
  append_request_head(req, out);
  CHECK(out == "kept:" + beast_head(req));
  CHECK(out.ends_with("X-Custom-Unknown: \r\n\r\n"));

  SECTION("a method Beast does not know, and HTTP/1.0") {
    bhttp::request<bhttp::empty_body> odd;
    odd.method_string("PROPPATCH-X");
    odd.target("/ews/exchange.asmx");
    odd.version(10);
    std::string rendered;
    append_request_head(odd, rendered);
    CHECK(rendered == beast_head(odd));
    CHECK(rendered == "PROPPATCH-X /ews/exchange.asmx HTTP/1.0\r\n\r\n");
  }
}

TEST_CASE("head_writer: a response head is byte for byte Beast's, reasons included", "[head_writer]") {
  bhttp::response<bhttp::empty_body> res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_length, "3");
  res.insert("Set-Cookie", "a=1");
  res.insert("Set-Cookie", "b=2");
  std::string out;
  append_response_head(res, out);
  CHECK(out == beast_head(res));
  CHECK(out.starts_with("HTTP/1.1 200 OK\r\n"));

  SECTION("an upstream's own reason phrase is kept") {
    res.reason("Fine Thanks");
    std::string rendered;
    append_response_head(res, rendered);
    CHECK(rendered == beast_head(res));
    CHECK(rendered.starts_with("HTTP/1.1 200 Fine Thanks\r\n"));
  }
  SECTION("a status Beast has no name for") {
    res.result(599);
    res.version(10);
    std::string rendered;
    append_response_head(res, rendered);
    CHECK(rendered == beast_head(res));
    CHECK(rendered.starts_with("HTTP/1.0 599 "));
  }
}
