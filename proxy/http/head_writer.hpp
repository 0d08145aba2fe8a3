#pragma once
// The bytes of an HTTP/1.x message head, rendered into one contiguous buffer. The relay writes small
// messages (a request without a body, a response whose body arrived with its head) as head + body in a
// single write; Beast's serializer would hand the socket one buffer per field through a variant-based
// buffer sequence, which cost more CPU per keep-alive request than the TLS record itself.
//
// The output is what Beast's serializer writes for the same header: the start line, each field as
// "name: value\r\n" in order, then "\r\n". Nothing is added or normalised (no Content-Length,
// no Date): the caller prepares the header first.

#include <boost/beast/http/message.hpp>

#include <string>

namespace cba::http {

// Appends the request head ("METHOD target HTTP/1.x\r\n" fields "\r\n") to `out`.
void append_request_head(const boost::beast::http::request_header<>& head, std::string& out);

// Appends the response head ("HTTP/1.x status reason\r\n" fields "\r\n") to `out`. An empty reason
// is written as the status code's standard phrase, like Beast does.
void append_response_head(const boost::beast::http::response_header<>& head, std::string& out);

}  // namespace cba::http
