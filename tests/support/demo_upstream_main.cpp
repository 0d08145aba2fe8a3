// cba-demo-upstream --listen HOST:PORT
// Answers every request 200 with a plain-text list of the method, target and headers it received, so
// the demo shows the identity headers cba-proxy adds. Runs until SIGINT/SIGTERM.

#include "tests/support/recording_upstream.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

namespace {

int usage() {
  std::fprintf(stderr, "usage: cba-demo-upstream --listen HOST:PORT   (e.g. 127.0.0.1:8080)\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || std::string(argv[1]) != "--listen") return usage();
  std::string listen = argv[2];
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return usage();
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  char* end = nullptr;
  long port = std::strtol(listen.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535) return usage();

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the io thread starts: it inherits the mask

  try {
    cba::test::recording_upstream::options opts;
    opts.address = host;
    opts.port = static_cast<unsigned short>(port);
    opts.keep_records = false;
    cba::test::recording_upstream upstream(opts);
    cba::test::upstream_behaviour behaviour;
    behaviour.echo = cba::test::echo_mode::summary;
    upstream.set_behaviour(behaviour);
    std::printf("cba-demo-upstream listening on %s:%u\n", host.c_str(), static_cast<unsigned>(upstream.port()));
    std::fflush(stdout);
    int sig = 0;
    sigwait(&signals, &sig);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cba-demo-upstream: %s\n", e.what());
    return 1;
  }
  return 0;
}
