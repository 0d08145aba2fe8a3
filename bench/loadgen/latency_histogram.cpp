#include "bench/loadgen/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace cba::bench {

// Values below 2^sub_bits have their own bucket; above, an octave [2^e, 2^(e+1)) is split into
// 2^sub_bits buckets by the bits right below the top one.
std::size_t latency_histogram::index_of(std::uint64_t v) {
  constexpr std::uint64_t sub = 1U << sub_bits;
  if (v < sub) return static_cast<std::size_t>(v);
  const unsigned e = 63U - static_cast<unsigned>(std::countl_zero(v));
  const unsigned shift = e - sub_bits;
  return static_cast<std::size_t>((e - sub_bits + 1) * sub + ((v >> shift) - sub));
}

std::uint64_t latency_histogram::value_of(std::size_t index) {
  constexpr std::size_t sub = std::size_t{1} << sub_bits;
  if (index < sub) return index;
  const std::size_t octave = index / sub;  // >= 1
  const unsigned shift = static_cast<unsigned>(octave - 1);
  const std::uint64_t lower = static_cast<std::uint64_t>(index % sub + sub) << shift;
  return lower + ((std::uint64_t{1} << shift) >> 1);  // the middle of the bucket
}

void latency_histogram::record(std::uint64_t ns) {
  ++buckets_[index_of(ns)];
  ++count_;
  max_ = std::max(max_, ns);
}

void latency_histogram::merge(const latency_histogram& other) {
  for (std::size_t i = 0; i < bucket_count; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

std::uint64_t latency_histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += buckets_[i];
    if (seen >= rank && buckets_[i] > 0) return std::min(value_of(i), max_);
  }
  return max_;
}

}  // namespace cba::bench
