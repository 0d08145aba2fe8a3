#pragma once
// A test's own cba-proxy.yaml is part of the test: when it does not load, the test fails with every
// problem the loader found and the YAML itself. Header-only: it needs Catch2 and the config library,
// which cba_test_support does not link.

#include "config/load.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <utility>

namespace cba::test {

// Loads `yaml` as if it were dir/cba-proxy.yaml (relative paths resolve against `dir`), without
// content checks of the referenced files. FAILs the running test when it does not load.
inline config::proxy_config load_config_or_fail(const std::string& yaml, const temp_dir& dir) {
  auto loaded = config::load_text(yaml, dir.file("cba-proxy.yaml"), dir.path().string(), nullptr);
  if (!loaded.config) {
    std::string all;
    for (const auto& problem : loaded.problems) all += config::format(problem) + "\n";
    FAIL("the test config does not load:\n" << all << "\n" << yaml);
  }
  return std::move(*loaded.config);
}

}  // namespace cba::test
