#pragma once
// One bound libldap connection driven by Asio. Establishing it (TCP, TLS, StartTLS, bind) is blocking
// and runs on the blocking pool; after that, every call happens on the loop executor, which must be
// single-threaded: the socket is watched with a stream_descriptor (edge-triggered epoll; a single
// thread cannot miss an edge between draining and re-arming), ldap_result is drained with a zero
// timeout and messages are dispatched by message id. The descriptor is released, never closed: the
// socket belongs to libldap, which closes it on unbind.

#include "ldap/bind_credentials.hpp"
#include "ldap/client_options.hpp"
#include "ldap/handles.hpp"
#include "ldap/raw_entry.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace cba::ldap {

struct search_outcome {
  boost::system::error_code ec;  // empty: the search finished (sizeLimitExceeded included)
  std::vector<raw_entry> entries;
};

class connection : public std::enable_shared_from_this<connection> {
 public:
  // Blocking. initialize, per-connection TLS context (CA from options, certificate required, never the
  // global ldap.conf settings), connect, StartTLS for ldap:// when configured, then a simple bind or a
  // SASL GSSAPI bind (sealed on plain ldap://). On failure returns nullptr and a user-facing `detail`
  // (the password never appears in it).
  static ldap_ptr establish(const std::string& url, const client_options& options,
                            const bind_credentials& credentials, std::string& detail);

  // Takes over an established handle; nullptr (with `detail`) when its socket cannot be watched.
  static std::shared_ptr<connection> adopt(boost::asio::any_io_executor loop, ldap_ptr handle, std::string url,
                                           std::string& detail);

  connection(boost::asio::any_io_executor loop, ldap_ptr handle, std::string url, int fd);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  const std::string& url() const noexcept { return url_; }
  bool alive() const noexcept { return alive_; }
  std::size_t in_flight() const noexcept { return pending_.size(); }

  // Watches the socket until the connection dies (server closed it, read error, unsolicited notice,
  // data while idle) or close() is called. `on_dead` runs once when it dies by itself.
  void start(std::function<void(connection&)> on_dead);

  // Sends a search and waits for its final result until `deadline`; on expiry the request is
  // abandoned and the outcome is errc::timeout. Search references are skipped, never chased.
  boost::asio::awaitable<search_outcome> search(std::string base, int scope, std::string filter,
                                                const char* const* attributes, int size_limit,
                                                std::chrono::steady_clock::time_point deadline);

  // Stops watching, fails searches in flight with errc::connection_lost and unbinds.
  void close() noexcept;

 private:
  struct pending;

  boost::asio::awaitable<void> read_loop();
  bool drain();
  void die();
  void fail_all(const boost::system::error_code& ec) noexcept;

  ldap_ptr ld_;
  std::string url_;
  boost::asio::posix::stream_descriptor socket_;
  std::unordered_map<int, pending*> pending_;
  std::function<void(connection&)> on_dead_;
  bool alive_ = true;
};

}  // namespace cba::ldap
