#pragma once
// Files the config points at (certificates, keys, CA bundles, CRLs, secrets, keytabs) must exist and be
// readable at load time, so --check-config finds a wrong path before a restart does. Their content is
// judged by the referenced_file_checker (OpenSSL lives in proxy/tls, not here).

#include "config/config.hpp"
#include "config/load.hpp"
#include "config/problem_sink.hpp"

#include <optional>
#include <string>

namespace cba::config {

// Why `path` cannot be read ("no such file: /etc/cba/x.pem"), or nullopt.
std::optional<std::string> file_access_problem(const std::string& path);

void check_referenced_files(const proxy_config& config, const located_sink& problems,
                            const referenced_file_checker* checker);

}  // namespace cba::config
