#include "bench/loadgen/loopback_target.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cstdio>
#include <cstring>
#include <memory>

namespace cba::bench {

namespace {

struct addrinfo_deleter {
  void operator()(addrinfo* p) const noexcept { freeaddrinfo(p); }
};
using addrinfo_ptr = std::unique_ptr<addrinfo, addrinfo_deleter>;

addrinfo_ptr lookup(const std::string& host, unsigned short port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &res) != 0) return nullptr;
  return addrinfo_ptr(res);
}

bool is_loopback(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, sa, sizeof in);
    return (ntohl(in.sin_addr.s_addr) >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, sa, sizeof in6);
    return IN6_IS_ADDR_LOOPBACK(&in6.sin6_addr);
  }
  return false;
}

}  // namespace

bool is_loopback_host(const std::string& host) {
  auto res = lookup(host, 1);
  if (!res) return false;
  for (const addrinfo* a = res.get(); a; a = a->ai_next) {
    if (!is_loopback(a->ai_addr)) return false;
  }
  return true;
}

std::optional<socket_address> resolve_loopback(const std::string& host, unsigned short port) {
  auto res = lookup(host, port);
  if (!res) {
    std::fprintf(stderr, "loadgen: cannot resolve '%s'\n", host.c_str());
    return std::nullopt;
  }
  for (const addrinfo* a = res.get(); a; a = a->ai_next) {
    if (!is_loopback(a->ai_addr)) continue;
    socket_address out;
    std::memcpy(&out.storage, a->ai_addr, a->ai_addrlen);
    out.length = a->ai_addrlen;
    return out;
  }
  std::fprintf(stderr, "loadgen: '%s' is not a loopback address\n", host.c_str());
  return std::nullopt;
}

}  // namespace cba::bench
