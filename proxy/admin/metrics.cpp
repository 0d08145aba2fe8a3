#include "proxy/admin/metrics.hpp"

namespace cba::admin {

void metrics::count_status(unsigned status) noexcept {
  const unsigned klass = status / 100;
  if (klass >= 1 && klass <= 5) status_classes_[klass].fetch_add(1, std::memory_order_relaxed);
}

void metrics::count_refusal(errc reason) noexcept {
  const auto slot = static_cast<std::size_t>(reason);
  if (slot < reason_slots) refusals_[slot].fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t metrics::refusals(errc reason) const noexcept {
  const auto slot = static_cast<std::size_t>(reason);
  return slot < reason_slots ? refusals_[slot].load(std::memory_order_relaxed) : 0;
}

std::string metrics::render_prometheus() const {
  std::string out;
  auto counter = [&out](const char* name, const char* help, auto value) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += " counter\n";
    out += name;
    out += ' ';
    out += std::to_string(value);
    out += '\n';
  };
  counter("cba_connections_accepted_total", "TCP connections accepted",
          connections_accepted.load(std::memory_order_relaxed));
  out += "# HELP cba_connections_active Connections open now\n# TYPE cba_connections_active gauge\n";
  out += "cba_connections_active " + std::to_string(connections_active.load(std::memory_order_relaxed)) + "\n";
  counter("cba_handshakes_ok_total", "TLS handshakes whose client certificate passed policy",
          handshakes_ok.load(std::memory_order_relaxed));
  counter("cba_handshakes_resumed_total", "of those, TLS sessions resumed (no certificate sent; identity from the session)",
          handshakes_resumed.load(std::memory_order_relaxed));
  counter("cba_requests_total", "HTTP requests answered", requests.load(std::memory_order_relaxed));
  counter("cba_directory_lookups_total", "directory lookups made",
          directory_lookups.load(std::memory_order_relaxed));
  counter("cba_client_bytes_received_total", "bytes of request bodies received",
          bytes_from_clients.load(std::memory_order_relaxed));
  counter("cba_client_bytes_sent_total", "bytes of response bodies sent",
          bytes_to_clients.load(std::memory_order_relaxed));
  out += "# HELP cba_responses_total Responses by status class\n# TYPE cba_responses_total counter\n";
  for (unsigned klass = 1; klass <= 5; ++klass)
    out += "cba_responses_total{class=\"" + std::to_string(klass) + "xx\"} " +
           std::to_string(status_classes_[klass].load(std::memory_order_relaxed)) + "\n";
  out += "# HELP cba_refusals_total Refused handshakes and requests by reason\n"
         "# TYPE cba_refusals_total counter\n";
  for (std::size_t slot = 1; slot < reason_slots; ++slot) {
    const auto value = refusals_[slot].load(std::memory_order_relaxed);
    if (value == 0) continue;
    out += "cba_refusals_total{reason=\"" + std::string(reason_code(static_cast<errc>(slot))) + "\"} " +
           std::to_string(value) + "\n";
  }
  return out;
}

std::string render_directory_metrics(const ldap::directory_stats& stats) {
  std::string out;
  auto line = [&out](const char* name, const char* type, const char* help, std::uint64_t value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
           std::to_string(value) + "\n";
  };
  line("cba_directory_cache_hits_total", "counter", "lookups answered from the cache", stats.hits);
  line("cba_directory_cache_misses_total", "counter", "lookups not in the cache", stats.misses);
  line("cba_directory_coalesced_total", "counter", "misses that joined a query in flight", stats.coalesced);
  line("cba_directory_queries_total", "counter", "searches sent to a directory server", stats.queries);
  line("cba_directory_errors_total", "counter", "lookups failed by the directory", stats.errors);
  line("cba_directory_cache_entries", "gauge", "entries in the lookup cache", stats.cache_entries);
  return out;
}

namespace {

// A Prometheus label value: backslash, double quote and newline escaped.
std::string label_value(const std::string& raw) {
  std::string out;
  for (const char c : raw) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string render_tls_cache_metrics(const std::vector<tls_cache_occupancy>& listeners) {
  std::string out;
  auto gauge = [&](const char* name, const char* help, auto value_of) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n";
    for (const auto& l : listeners) {
      out += std::string(name) + "{listener=\"" + label_value(l.listener) + "\"} " + std::to_string(value_of(l)) + "\n";
    }
  };
  gauge("cba_tls_sessions_kept",
        "TLS sessions kept in this process for resumption (listeners without tls.session_tickets.key_files)",
        [](const tls_cache_occupancy& l) { return l.kept_sessions; });
  gauge("cba_tls_verdicts_cached", "certificate chain verdicts remembered for resumptions",
        [](const tls_cache_occupancy& l) { return l.verdicts; });
  gauge("cba_tls_shared_ca_certificates", "CA certificates shared between connections by content",
        [](const tls_cache_occupancy& l) { return l.shared_cas; });
  return out;
}

}  // namespace cba::admin
