#pragma once
// Resolving the target, loopback only: refused before any socket is opened.

#include <sys/socket.h>

#include <optional>
#include <string>

namespace cba::bench {

struct socket_address {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

// True when every address HOST resolves to is 127.0.0.0/8 or ::1.
bool is_loopback_host(const std::string& host);

// The first address of HOST:PORT, or nullopt (message printed) when it does not resolve or is not loopback.
std::optional<socket_address> resolve_loopback(const std::string& host, unsigned short port);

}  // namespace cba::bench
