#pragma once
// Settings of features planned for later issues. Their keys are parsed and validated like any other
// (so the structs are ready), but using them is refused here, never silently ignored. Each later issue
// deletes its lines from unsupported_features.cpp.

#include "config/config.hpp"
#include "config/problem_sink.hpp"

namespace cba::config {

void report_unsupported_features(const proxy_config& config, const located_sink& problems);

}  // namespace cba::config
