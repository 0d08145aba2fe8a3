#include "proxy/explain/explain_command.hpp"

#include "config/load.hpp"
#include "proxy/explain/explain.hpp"
#include "proxy/revocation/checker.hpp"
#include "proxy/tls/file_checker.hpp"
#include "proxy/tls/pem.hpp"
#include "proxy/wiring.hpp"

#include <exception>

namespace cba::explain {

int run_explain_command(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  if (args.size() < 3 || args.size() > 4 || args[0] != "--config") {
    std::fputs(explain_usage, err);
    return 2;
  }
  const std::string& config_path = args[1];
  try {
    tls::openssl_file_checker file_checker;
    auto loaded = config::load_file(config_path, &file_checker);
    for (const auto& problem : loaded.problems) std::fprintf(err, "%s\n", config::format(problem).c_str());
    if (!loaded.config) return 2;
    const auto& cfg = *loaded.config;

    auto certs = tls::read_certificates(args[2]);
    if (!certs) {
      std::fprintf(err, "cba-proxy explain: %s: %s\n", args[2].c_str(), certs.error.c_str());
      return 2;
    }
    std::vector<tls::x509_ptr> extra;
    if (args.size() == 4) {
      auto chain = tls::read_certificates(args[3]);
      if (!chain) {
        std::fprintf(err, "cba-proxy explain: %s: %s\n", args[3].c_str(), chain.error.c_str());
        return 2;
      }
      extra = std::move(chain.value);
    }
    std::vector<X509*> presented;
    for (std::size_t i = 1; i < certs.value.size(); ++i) presented.push_back(certs.value[i].get());
    for (const auto& cert : extra) presented.push_back(cert.get());

    // As the server builds them: the certificate policy, and revocation in its own checker.
    const auto policy = tls::certificate_policy::create(cfg.trust);
    revocation::checker_options revocation_options;
    revocation_options.log = [err](config::log_level, std::string_view event, std::string_view detail) {
      std::fprintf(err, "revocation: %.*s: %.*s\n", static_cast<int>(event.size()), event.data(),
                   static_cast<int>(detail.size()), detail.data());
    };
    const auto revocation = revocation::checker::create(cfg.trust, revocation_options);
    const auto directory = make_directory(cfg.directory);
    const inputs in{cfg, *policy, revocation.get(), *directory};
    const auto r = explain_certificate(in, certs.value.front().get(), presented);
    const auto text = format_report(r);
    std::fwrite(text.data(), 1, text.size(), out);
    return r.admitted() ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(err, "cba-proxy explain: %s\n", e.what());
    return 2;
  }
}

}  // namespace cba::explain
