#pragma once
// Opening one new connection to an upstream: resolve, TCP connect, TLS handshake.

#include "config/config.hpp"
#include "proxy/upstream/upstream_error.hpp"
#include "proxy/upstream/upstream_stream.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/result.hpp>

#include <memory>

namespace cba::upstream {

using connect_result = boost::system::result<std::unique_ptr<upstream_stream>, upstream_error>;

// Connects to cfg.host:cfg.port with the socket on `ex`. A numeric host is used as is; a name is
// resolved. For https the handshake sends SNI and verifies the certificate against tls_ctx's trust
// store and the name cfg.tls.server_name (or cfg.host); tls_ctx must not be null then. One deadline,
// cfg.connect_timeout, bounds the whole sequence. Errors: errc::upstream_connect_failed (resolve,
// refused, unreachable), errc::upstream_timeout, errc::upstream_tls_failed.
boost::asio::awaitable<connect_result> connect(const config::upstream_config& cfg,
                                               boost::asio::ssl::context* tls_ctx,
                                               boost::asio::any_io_executor ex);

}  // namespace cba::upstream
