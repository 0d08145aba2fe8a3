#pragma once
// Builds the runtime services a config describes. The only place that knows both config:: and ldap::.

#include "config/config.hpp"
#include "ldap/directory.hpp"

#include <memory>

namespace cba {

// Throws std::runtime_error naming the config key when the directory cannot be built.
std::unique_ptr<ldap::directory> make_directory(const config::directory_config& cfg);

}  // namespace cba
