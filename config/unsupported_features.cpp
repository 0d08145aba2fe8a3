#include "config/unsupported_features.hpp"

namespace cba::config {

void report_unsupported_features(const proxy_config& c, const located_sink& problems) {
  // Every planned feature is supported now; later ones add their refusals here.
  (void)c;
  (void)problems;
}

}  // namespace cba::config
