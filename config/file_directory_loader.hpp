#pragma once
// The users file of `directory.type: file` (config.md, "The file directory"): read at load time so a
// bad account list fails --check-config. Problems name the users file and its own line:column.

#include "config/config.hpp"
#include "config/load.hpp"

#include <string>
#include <vector>

namespace cba::config {

// `display_name` is what problems print as FILE. Accounts are returned even when problems were found
// (the caller refuses the whole config then).
std::vector<file_account> parse_file_directory(const std::string& yaml_text, const std::string& display_name,
                                               std::vector<problem>& problems);

// Reads `path` and parses it; a read failure is one problem without a position.
std::vector<file_account> load_file_directory(const std::string& path, std::vector<problem>& problems);

// "alice@example.test": exactly one '@', something on both sides, no spaces or control characters.
bool is_plausible_upn(std::string_view upn);
// "S-1-5-21-...": "S-1-" then dash-separated decimal numbers.
bool is_sid_string(std::string_view sid);

}  // namespace cba::config
