#pragma once
// Log-linear latency histogram (64 sub-buckets per power of two: under 1.6 % error), fixed size, so a
// run bounded by count needs no memory proportional to that count. Values are nanoseconds.

#include <array>
#include <cstdint>

namespace cba::bench {

class latency_histogram {
 public:
  void record(std::uint64_t ns);
  void merge(const latency_histogram& other);
  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  // The value at fraction q (0 < q <= 1) of the recorded samples; 0 when empty.
  std::uint64_t quantile(double q) const;

 private:
  static constexpr unsigned sub_bits = 6;
  static constexpr std::size_t bucket_count = (64 - sub_bits + 1) << sub_bits;
  static std::size_t index_of(std::uint64_t v);
  static std::uint64_t value_of(std::size_t index);

  std::array<std::uint64_t, bucket_count> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace cba::bench
