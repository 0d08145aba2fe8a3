#include "ldap/ldap_directory.hpp"

#include "ldap/client.hpp"

#include <boost/asio/post.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <future>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace cba::ldap {

namespace asio = boost::asio;

std::string read_password_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the LDAP bind password file " + path + ": " + std::strerror(errno));
  std::string password((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
  if (password.empty()) throw std::runtime_error("the LDAP bind password file " + path + " is empty");
  return password;
}

ldap_directory::ldap_directory(ldap_directory_options options)
    : work_(loop_.get_executor()), blocking_(options.blocking_threads == 0 ? 1 : options.blocking_threads) {
  if (options.client.urls.empty()) throw std::runtime_error("the LDAP directory needs at least one URL");
  bind_credentials credentials;
  if (options.client.bind == client_options::bind_method::gssapi) {
    credentials.login = std::make_shared<keytab_login>(options.client.bind_keytab, options.client.bind_principal);
  } else {
    credentials.password = read_password_file(options.client.bind_password_file);
  }
  client_ = std::make_unique<client>(loop_.get_executor(), blocking_.get_executor(), std::move(options.client),
                                     std::move(credentials));
  cached_ = std::make_unique<cached_directory>(loop_.get_executor(), *client_, options.cache);
  asio::post(loop_, [c = client_.get()] { c->start(); });
  thread_ = std::thread([this] { loop_.run(); });
}

ldap_directory::~ldap_directory() {
  std::promise<void> closed;
  asio::post(loop_, [&] {
    client_->shutdown();
    closed.set_value();
  });
  closed.get_future().wait();
  work_.reset();
  loop_.stop();
  thread_.join();
  blocking_.join();  // a connect in progress finishes within its network timeout
}

asio::awaitable<lookup_result> ldap_directory::lookup(std::string_view upn) { return cached_->lookup(upn); }

bool ldap_directory::ready() const noexcept { return cached_->ready(); }

directory_stats ldap_directory::stats() const noexcept { return cached_->stats(); }

std::string ldap_directory::last_error() const { return client_->last_error(); }

}  // namespace cba::ldap
