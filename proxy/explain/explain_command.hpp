#pragma once
// The `cba-proxy explain --config FILE CERT.pem [CHAIN.pem]` command: loads the config like the proxy
// does, builds the same policy, revocation checker and directory, prints the decision trace.

#include <cstdio>
#include <string>
#include <vector>

namespace cba::explain {

// `args` are the words after "explain". Exit status: 0 admitted, 1 refused, 2 usage or config error.
int run_explain_command(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);

inline constexpr const char* explain_usage =
    "usage: cba-proxy explain --config FILE CERT.pem [CHAIN.pem]\n"
    "  prints every decision the proxy takes for the certificate (CERT.pem may hold its chain too);\n"
    "  exit 0 admitted, 1 refused, 2 usage or config error\n";

}  // namespace cba::explain
