#pragma once
// load_text without the final refusal: the parsed config is returned even when problems were found.
// Tests use it to inspect what the keys of not-yet-supported features parsed into; a server must never
// run on it (use load_file / load_text, which return no config when there is any problem).

#include "config/load.hpp"

#include <string>
#include <vector>

namespace cba::config {

proxy_config load_text_anyway(const std::string& yaml_text, const std::string& display_name,
                              const std::string& base_dir, const referenced_file_checker* checker,
                              std::vector<problem>& problems);

}  // namespace cba::config
