#pragma once
// Checks between values, after parsing: names resolve, sections a setting needs are present, choices
// that would be unsafe are refused. Problems point at the key via the source map.

#include "config/config.hpp"
#include "config/problem_sink.hpp"

namespace cba::config {

// Also completes derived fields (route_config::upstream_index).
void validate(proxy_config& config, const located_sink& problems);

}  // namespace cba::config
