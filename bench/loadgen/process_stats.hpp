#pragma once
// What the server under test used, read from /proc: CPU time (utime + stime of every thread) and
// resident memory. Several PIDs add up (nginx: its workers).

#include <cstdint>
#include <optional>
#include <vector>

namespace cba::bench {

// utime + stime in seconds, summed over PIDS; nullopt when one cannot be read.
std::optional<double> cpu_seconds(const std::vector<int>& pids);

// VmRSS in KiB, summed over PIDS; nullopt when one cannot be read.
std::optional<std::uint64_t> rss_kib(const std::vector<int>& pids);

}  // namespace cba::bench
