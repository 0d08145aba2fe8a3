#include "bench/loadgen/process_stats.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace cba::bench {

namespace {

std::optional<double> one_cpu(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // comm (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && (fields >> field); ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  const long ticks = sysconf(_SC_CLK_TCK);
  return static_cast<double>(utime + stime) / static_cast<double>(ticks > 0 ? ticks : 100);
}

std::optional<std::uint64_t> one_rss(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmRSS:")) return std::stoull(line.substr(6));
  }
  return std::nullopt;
}

}  // namespace

std::optional<double> cpu_seconds(const std::vector<int>& pids) {
  double sum = 0;
  for (int pid : pids) {
    auto v = one_cpu(pid);
    if (!v) return std::nullopt;
    sum += *v;
  }
  return sum;
}

std::optional<std::uint64_t> rss_kib(const std::vector<int>& pids) {
  std::uint64_t sum = 0;
  for (int pid : pids) {
    auto v = one_rss(pid);
    if (!v) return std::nullopt;
    sum += *v;
  }
  return sum;
}

}  // namespace cba::bench
