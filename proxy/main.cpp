// cba-proxy: parse the command line, load the config, run the server until SIGINT/SIGTERM (SIGHUP is
// the server's own: it re-reads session ticket keys and CRL files), or run a tool (explain).
#include "config/load.hpp"
#include "proxy/auth/krb5_environment.hpp"
#include "proxy/explain/explain_command.hpp"
#include "proxy/server.hpp"
#include "proxy/tls/file_checker.hpp"

#include <csignal>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <thread>

namespace {

constexpr std::string_view usage =
    "usage: cba-proxy --config FILE        run the proxy\n"
    "       cba-proxy --check-config FILE  validate FILE (and the files it names), exit 0 or 1\n"
    "       cba-proxy explain --config FILE CERT.pem [CHAIN.pem]\n"
    "                                      every decision for one client certificate; exit 0 admitted,\n"
    "                                      1 refused, 2 usage or config error\n"
    "       cba-proxy --version\n";

std::optional<cba::config::proxy_config> load(const std::string& path) {
  cba::tls::openssl_file_checker checker;
  auto result = cba::config::load_file(path, &checker);
  for (const auto& problem : result.problems) std::fprintf(stderr, "%s\n", cba::config::format(problem).c_str());
  return std::move(result.config);
}

int run(const std::string& path) {
  auto cfg = load(path);
  if (!cfg) return 1;
  // Before any thread exists: krb5 reads KRB5_CONFIG from the environment (krb5_environment.hpp).
  if (cfg->kerberos && !cfg->kerberos->krb5_conf.empty()) cba::auth::use_krb5_config(cfg->kerberos->krb5_conf);
  // Signals are taken by sigwait on this thread only; the io threads inherit the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  cba::server server(*cfg);
  server.start();
  std::thread io([&server] { server.run(); });
  int received = 0;
  sigwait(&signals, &received);
  std::fprintf(stderr, "cba-proxy: %s received, draining\n", received == SIGINT ? "SIGINT" : "SIGTERM");
  server.stop();
  io.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view command = argc > 1 ? argv[1] : "";
  try {
    if (command == "--version") {
      std::printf("cba-proxy 0.1.0\n");
      return 0;
    }
    if (command == "--check-config" && argc == 3) {
      if (!load(argv[2])) return 1;
      std::printf("%s: ok\n", argv[2]);
      return 0;
    }
    if (command == "--config" && argc == 3) return run(argv[2]);
    if (command == "explain") return cba::explain::run_explain_command({argv + 2, argv + argc}, stdout, stderr);
    std::fprintf(stderr, "%.*s", static_cast<int>(usage.size()), usage.data());
    return command == "--help" ? 0 : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cba-proxy: %s\n", e.what());
    return 1;
  }
}
