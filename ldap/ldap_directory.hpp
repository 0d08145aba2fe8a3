#pragma once
// directory.type: ldap. Owns the directory's event loop (one thread running an io_context for
// libldap's sockets, timers and the single-flight table), a small pool for the blocking connect /
// StartTLS / bind, the connection pool (client.hpp) and the cache (cached_directory.hpp). Callers on
// any executor co_await lookup(); a cache hit is answered on the caller's thread, a miss travels to the
// loop and the answer comes back on the caller's executor. No proxy io thread ever waits on libldap.

#include "ldap/cached_directory.hpp"
#include "ldap/client_options.hpp"
#include "ldap/directory.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <memory>
#include <string>
#include <thread>

namespace cba::ldap {

class client;

struct ldap_directory_options {
  client_options client;
  cache_options cache;
  std::size_t blocking_threads = 2;  // concurrent connection attempts
};

class ldap_directory final : public directory {
 public:
  // Reads the bind password file and starts connecting in the background. Throws std::runtime_error
  // (naming the file) when the password file cannot be read or no URL is given.
  explicit ldap_directory(ldap_directory_options options);
  ~ldap_directory() override;
  ldap_directory(const ldap_directory&) = delete;
  ldap_directory& operator=(const ldap_directory&) = delete;

  boost::asio::awaitable<lookup_result> lookup(std::string_view upn) override;
  bool ready() const noexcept override;
  directory_stats stats() const noexcept override;
  // The latest connection failure, for logs and readiness detail (empty when none).
  std::string last_error() const;

 private:
  boost::asio::io_context loop_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::thread_pool blocking_;
  std::unique_ptr<client> client_;
  std::unique_ptr<cached_directory> cached_;
  std::thread thread_;
};

// The bind password: the whole file, without trailing CR/LF. Throws std::runtime_error naming the file.
std::string read_password_file(const std::string& path);

}  // namespace cba::ldap
