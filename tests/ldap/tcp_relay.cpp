#include "tests/ldap/tcp_relay.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <future>

namespace cba::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct tcp_relay::pair : std::enable_shared_from_this<pair> {
  explicit pair(asio::io_context& io, const std::atomic<bool>& hole) : client(io), server(io), blackhole(hole) {}

  void start(unsigned short target_port) {
    auto self = shared_from_this();
    server.async_connect({asio::ip::make_address("127.0.0.1"), target_port}, [self](boost::system::error_code ec) {
      if (ec) return self->close();
      self->pump(self->client, self->server, self->up);
      self->pump(self->server, self->client, self->down);
    });
  }

  void pump(tcp::socket& from, tcp::socket& to, std::array<char, 16384>& buffer) {
    auto self = shared_from_this();
    from.async_read_some(asio::buffer(buffer), [self, &from, &to, &buffer](boost::system::error_code ec, std::size_t n) {
      if (ec) return self->close();
      if (self->blackhole) return self->pump(from, to, buffer);  // swallowed
      asio::async_write(to, asio::buffer(buffer, n), [self, &from, &to, &buffer](boost::system::error_code wec, std::size_t) {
        if (wec) return self->close();
        self->pump(from, to, buffer);
      });
    });
  }

  void close() {
    boost::system::error_code ignored;
    client.close(ignored);
    server.close(ignored);
  }

  tcp::socket client;
  tcp::socket server;
  const std::atomic<bool>& blackhole;
  std::array<char, 16384> up{};
  std::array<char, 16384> down{};
};

tcp_relay::tcp_relay(unsigned short target_port)
    : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}), target_port_(target_port) {
  port_ = acceptor_.local_endpoint().port();
  accept_next();
  thread_ = std::thread([this] { io_.run(); });
}

tcp_relay::~tcp_relay() {
  asio::post(io_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto& weak : pairs_)
      if (auto p = weak.lock()) p->close();
  });
  thread_.join();
}

void tcp_relay::accept_next() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec) return;
    ++accepted_;
    auto p = std::make_shared<pair>(io_, blackhole_);
    p->client = std::move(socket);
    std::erase_if(pairs_, [](const auto& weak) { return weak.expired(); });
    pairs_.push_back(p);
    p->start(target_port_);
    accept_next();
  });
}

void tcp_relay::drop_all() {
  std::promise<void> done;
  asio::post(io_, [&] {
    for (auto& weak : pairs_)
      if (auto p = weak.lock()) p->close();
    done.set_value();
  });
  done.get_future().wait();
}

}  // namespace cba::test
