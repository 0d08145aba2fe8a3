#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace cba {

// The client side of one connection: TLS over a TCP stream with per-operation deadlines.
using client_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// co_await yields a tuple [ec, ...] instead of throwing: no exceptions on the data path.
inline constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace cba
