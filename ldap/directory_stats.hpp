#pragma once
// Counters a directory exposes for /metrics. Monotonic except cache_entries.

#include <cstdint>

namespace cba::ldap {

struct directory_stats {
  std::uint64_t hits = 0;       // lookups answered from the cache (positive or negative entries)
  std::uint64_t misses = 0;     // lookups not in the cache (each caller, including coalesced ones)
  std::uint64_t coalesced = 0;  // misses that joined a query already in flight for the same UPN
  std::uint64_t queries = 0;    // LDAP searches sent to a server
  std::uint64_t errors = 0;     // lookups that failed for another reason than not_found/ambiguous
  std::uint64_t cache_entries = 0;
};

}  // namespace cba::ldap
