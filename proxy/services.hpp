#pragma once
// The long-lived services a session borrows. The server owns them and outlives every session.

#include "config/config.hpp"

#include <boost/asio/ssl/context.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace cba {
namespace admin { class metrics; }
namespace auth { class delegation_service; }
namespace http { class route_table; class header_policy; }
namespace ldap { class directory; }
namespace revocation { class checker; }
namespace upstream { class pool; }
class event_log;
class connection_tracker;

struct listener_runtime {
  const config::listener_config& config;
  boost::asio::ssl::context& tls;
};

struct session_services {
  const config::proxy_config& config;
  const http::route_table& routes;
  const http::header_policy& headers;
  ldap::directory& directory;
  std::vector<std::unique_ptr<upstream::pool>>& pools;  // index = route_config::upstream_index
  event_log& log;
  admin::metrics& metrics;
  connection_tracker& connections;
  revocation::checker* revocation = nullptr;  // null or mode off: no revocation checks
  auth::delegation_service* delegation = nullptr;  // set when the config has a kerberos section
};

}  // namespace cba
