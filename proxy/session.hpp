#pragma once
// One client TLS connection from accept to close: handshake under a deadline with the certificate
// policy deciding inside it, identity resolved once, then the request loop.

#include "proxy/services.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>

namespace cba {

boost::asio::awaitable<void> run_session(session_services& services, listener_runtime& listener,
                                         boost::asio::ip::tcp::socket socket, std::uint64_t connection_id);

}  // namespace cba
