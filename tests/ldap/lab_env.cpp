#include "tests/ldap/lab_env.hpp"

#include "tests/support/process.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <stdexcept>

namespace cba::test {

namespace asio = boost::asio;

const lab_env& lab_env::get() {
  static const lab_env env = [] {
    const char* dir = std::getenv("CBA_LAB_DIR");
    if (!dir || !*dir)
      throw std::runtime_error("CBA_LAB_DIR is not set: run these tests with ctest (fixture lab), or start the lab "
                               "with tests/lab/samba-up LABDIR and export CBA_LAB_DIR=LABDIR");
    lab_env e;
    e.dir_ = dir;
    std::ifstream in(e.dir_ + "/lab.env");
    if (!in) throw std::runtime_error(e.dir_ + "/lab.env is missing: tests/lab/samba-up " + e.dir_ + " writes it");
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line[0] == '#') continue;
      const auto eq = line.find('=');
      if (eq == std::string::npos) continue;
      std::string value = line.substr(eq + 1);
      if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"') && value.back() == value.front())
        value = value.substr(1, value.size() - 2);
      e.vars_[line.substr(0, eq)] = value;
    }
    return e;
  }();
  return env;
}

const std::string& lab_env::at(const std::string& key) const {
  const auto it = vars_.find(key);
  if (it == vars_.end()) throw std::runtime_error(dir_ + "/lab.env has no " + key);
  return it->second;
}

ldap::ldap_directory_options lab_env::options(const std::string& url) const {
  ldap::ldap_directory_options o;
  o.client.urls = {url};
  o.client.ca_file = at("LAB_CA");
  o.client.bind_dn = at("LAB_BIND_DN");
  o.client.bind_password_file = at("LAB_BIND_PW_FILE");
  o.client.base_dn = at("LAB_BASE_DN");
  o.client.timeout = std::chrono::seconds(3);
  o.client.pool_size = 2;
  o.cache.ttl = std::chrono::milliseconds(0);
  o.cache.negative_ttl = std::chrono::milliseconds(0);
  return o;
}

namespace {

bool run_lab_script(const char* script, const std::string& dir, std::string& log) {
  const auto r = run_process({std::string(CBA_SOURCE_DIR) + "/tests/lab/" + script, dir}, std::chrono::seconds(90));
  log = r.describe();
  return r.ok();
}

}  // namespace

bool lab_env::samba_down(std::string& log) const { return run_lab_script("samba-down", dir_, log); }
bool lab_env::samba_up(std::string& log) const { return run_lab_script("samba-up", dir_, log); }

ldap::lookup_result lookup_now(ldap::directory& dir, const std::string& upn, std::chrono::seconds limit) {
  asio::io_context io;
  std::optional<ldap::lookup_result> out;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto r = co_await dir.lookup(upn);
    out = std::move(r);
  }, asio::detached);
  io.run_for(limit);
  if (!out) throw std::runtime_error("lookup of " + upn + " did not complete within the test's limit");
  return std::move(*out);
}

}  // namespace cba::test
