#pragma once
// YAML -> proxy_config: types, units, enums and the syntax of each value, every problem at its node.
// Checks between values (route -> upstream, https -> ca, ...) are validate()'s job.

#include "config/config.hpp"
#include "config/yaml_reader.hpp"

namespace cba::config {

void parse_proxy_config(const node_cursor& root, proxy_config& out);

// The sections with their own file (parse_directory.cpp).
void parse_directory(const node_cursor& at, directory_config& out);
void parse_kerberos(const node_cursor& at, kerberos_config& out);

}  // namespace cba::config
