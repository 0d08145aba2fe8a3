#pragma once

#include "proxy/tls/socket_tls_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace cba {

// The client side of one connection: TLS straight on the TCP socket with per-operation deadlines
// (proxy/tls/socket_tls_stream.hpp). Not beast::ssl_stream: its engine buffers and BIO pair cost
// ~68 KiB per connection and a copy of every byte.
using client_stream = tls::socket_tls_stream;

// co_await yields a tuple [ec, ...] instead of throwing: no exceptions on the data path.
inline constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace cba
