// Bulyan's coordinate-wise stage, plain C++ (no TensorFlow): paper section 4, Proposition 1.
//
// For one coordinate with theta values (NaN taken as +Inf), median = sorted[m], m = (theta - 1) / 2
// (the lower middle value), and the result is the mean of the beta values closest to the median,
// distance ties going to the lower value. In sorted order those values are a window around m:
// with reach = beta - 1, pair the i-th value below the median, L_i = sorted[m - i], with the
// (reach + 1 - i)-th value above it, R = sorted[m + reach + 1 - i], for i = 1 .. reach. Merging
// the two sides by distance (ties to the lower side, that is L) takes exactly one of each pair:
// L_i when |L_i - median| <= |R - median|, else R. So the sum is the median plus one value per
// pair, which needs only the sorted values at positions m - reach .. m + reach, and no branches.
//
// Two ways to get those sorted values (same results):
//  - ClosestToMedianMeanWithNetwork: a comparator network (selection_network.h) run on kLanes
//    coordinates at once with branch-free min/max that the compiler vectorizes. The default: on
//    this project's CPU it beat quick-select 3x to 25x for every theta measured up to 4096, as
//    quick-select's data-dependent branches are unpredictable on random gradients.
//  - ClosestToMedianMeanWithQuickSelect: per coordinate, std::nth_element for the median, then on
//    each side for the reach nearest candidates, and a sort of those (at most 2 * reach values):
//    O(theta) on average, as in the paper's Proposition 1; used for theta > 4096.

#ifndef BULYAN_NATIVE_CLOSEST_TO_MEDIAN_MEAN_H_
#define BULYAN_NATIVE_CLOSEST_TO_MEDIAN_MEAN_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "selection_network.h"

// The network path's functions are forced inline into their callers, so that the kernel can
// compile one copy for plain x86-64 (SSE2) and one with AVX2 (twice the vector width).
#if defined(__GNUC__) || defined(__clang__)
#define BULYAN_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define BULYAN_ALWAYS_INLINE inline
#endif

namespace bulyan {

// Coordinates handled together by the network path; a multiple of any SIMD width.
constexpr int64_t kLanes = 128;

template <typename T>
inline T NanAsInfinity(T value) {
  return value != value ? std::numeric_limits<T>::infinity() : value;
}

// Distance from the median to a value sorted before / after it (so no absolute value is needed);
// equal values (infinities included) are at distance 0, never NaN.
template <typename T>
inline T DistanceBelow(T value, T median) {
  return value == median ? T(0) : median - value;
}
template <typename T>
inline T DistanceAbove(T value, T median) {
  return value == median ? T(0) : value - median;
}

// The mean of the chosen window for `lanes` coordinates. The sorted value at position p of
// coordinate c is sorted[p * stride + c]; positions m - reach .. m + reach (inside [0, theta))
// must hold their sorted values. Sums in double; for float64 a second sum of value / beta is
// used where the plain sum overflows although the chosen values are finite.
template <typename T>
BULYAN_ALWAYS_INLINE void MeanOfClosestWindow(const T* sorted, int64_t stride, int64_t lanes,
                                              int64_t theta, int64_t beta, double* __restrict sum,
                                              double* __restrict scaled_sum, T* __restrict out) {
  constexpr bool kMayOverflow = std::is_same<T, double>::value;
  const int64_t median_index = (theta - 1) / 2;
  const int64_t reach = beta - 1;
  const double beta_d = static_cast<double>(beta);
  const T* __restrict median = sorted + median_index * stride;
  for (int64_t c = 0; c < lanes; ++c) sum[c] = static_cast<double>(median[c]);
  if (kMayOverflow) {
    for (int64_t c = 0; c < lanes; ++c) scaled_sum[c] = static_cast<double>(median[c]) / beta_d;
  }
  for (int64_t i = 1; i <= reach; ++i) {
    const int64_t below = median_index - i;
    const int64_t above = median_index + reach + 1 - i;
    // One of the two positions always exists since beta <= theta.
    if (below < 0 || above >= theta) {
      const T* __restrict row = sorted + (below < 0 ? above : below) * stride;
      for (int64_t c = 0; c < lanes; ++c) sum[c] += static_cast<double>(row[c]);
      if (kMayOverflow) {
        for (int64_t c = 0; c < lanes; ++c) scaled_sum[c] += static_cast<double>(row[c]) / beta_d;
      }
      continue;
    }
    const T* __restrict low = sorted + below * stride;
    const T* __restrict high = sorted + above * stride;
    for (int64_t c = 0; c < lanes; ++c) {
      const T m = median[c];
      const T l = low[c];
      const T h = high[c];
      const T chosen = DistanceBelow(l, m) <= DistanceAbove(h, m) ? l : h;
      sum[c] += static_cast<double>(chosen);
      if (kMayOverflow) scaled_sum[c] += static_cast<double>(chosen) / beta_d;
    }
  }
  for (int64_t c = 0; c < lanes; ++c) {
    if (kMayOverflow) {
      out[c] = static_cast<T>(std::isfinite(sum[c]) ? sum[c] / beta_d : scaled_sum[c]);
    } else {
      out[c] = static_cast<T>(sum[c] / beta_d);
    }
  }
}

// Copies columns start .. start + count - 1 of the row-major [theta, d] input into buffer
// [theta, kLanes] (NaN as +Inf; unused lanes set to 0).
template <typename T>
BULYAN_ALWAYS_INLINE void GatherBlock(const T* input, int64_t d, int64_t theta, int64_t start,
                                      int64_t count, T* buffer) {
  for (int64_t row = 0; row < theta; ++row) {
    const T* source = input + row * d + start;
    T* target = buffer + row * kLanes;
    for (int64_t c = 0; c < count; ++c) target[c] = NanAsInfinity(source[c]);
    for (int64_t c = count; c < kLanes; ++c) target[c] = T(0);
  }
}

// Applies the comparator network to the kLanes coordinates of buffer [theta, kLanes] at once.
template <typename T>
BULYAN_ALWAYS_INLINE void ApplyNetwork(const std::vector<Comparator>& network, T* buffer) {
  for (const Comparator& comparator : network) {
    T* __restrict low = buffer + comparator.low * kLanes;
    T* __restrict high = buffer + comparator.high * kLanes;
    if (comparator.needs_min && comparator.needs_max) {
      for (int64_t c = 0; c < kLanes; ++c) {
        const T a = low[c];
        const T b = high[c];
        const T smaller = b < a ? b : a;
        const T larger = b < a ? a : b;
        low[c] = smaller;
        high[c] = larger;
      }
    } else if (comparator.needs_min) {
      for (int64_t c = 0; c < kLanes; ++c) {
        const T a = low[c];
        const T b = high[c];
        low[c] = b < a ? b : a;
      }
    } else {
      for (int64_t c = 0; c < kLanes; ++c) {
        const T a = low[c];
        const T b = high[c];
        high[c] = b < a ? a : b;
      }
    }
  }
}

// Network path for the blocks of kLanes coordinates first_block .. last_block - 1 of the row-major
// [theta, d] input; writes their results to out[0 .. d).
template <typename T>
BULYAN_ALWAYS_INLINE void ClosestToMedianMeanWithNetwork(const T* input, int64_t d, int64_t theta,
                                                         int64_t beta,
                                                         const std::vector<Comparator>& network,
                                                         int64_t first_block, int64_t last_block,
                                                         T* out) {
  std::vector<T> buffer(static_cast<size_t>(theta * kLanes));
  double sum[kLanes];
  double scaled_sum[kLanes];
  T result[kLanes];
  for (int64_t block = first_block; block < last_block; ++block) {
    const int64_t start = block * kLanes;
    const int64_t count = std::min(kLanes, d - start);
    GatherBlock(input, d, theta, start, count, buffer.data());
    ApplyNetwork(network, buffer.data());
    MeanOfClosestWindow(buffer.data(), kLanes, kLanes, theta, beta, sum, scaled_sum, result);
    std::copy(result, result + count, out + start);
  }
}

// Quick-select path for one coordinate: values[0 .. theta) (no NaN) are reordered so that
// positions m - reach .. m + reach hold their sorted values; returns the mean.
template <typename T>
T QuickSelectColumn(T* values, int64_t theta, int64_t beta) {
  const int64_t median_index = (theta - 1) / 2;
  const int64_t reach = beta - 1;
  const int64_t first = std::max<int64_t>(0, median_index - reach);
  const int64_t last = std::min<int64_t>(theta - 1, median_index + reach);
  T* const begin = values;
  std::nth_element(begin, begin + median_index, begin + theta);
  if (first < median_index) {
    std::nth_element(begin, begin + first, begin + median_index);
    std::sort(begin + first, begin + median_index);
  }
  if (last > median_index) {
    std::nth_element(begin + median_index + 1, begin + last, begin + theta);
    std::sort(begin + median_index + 1, begin + last + 1);
  }
  double sum = 0.0;
  double scaled_sum = 0.0;
  T result;
  MeanOfClosestWindow(values, 1, 1, theta, beta, &sum, &scaled_sum, &result);
  return result;
}

// Quick-select path for the blocks of kLanes coordinates first_block .. last_block - 1: a block's
// columns are gathered row by row (contiguous reads of the row-major input) into one contiguous
// run of theta values per coordinate.
template <typename T>
void ClosestToMedianMeanWithQuickSelect(const T* input, int64_t d, int64_t theta, int64_t beta,
                                        int64_t first_block, int64_t last_block, T* out) {
  std::vector<T> buffer(static_cast<size_t>(theta * kLanes));
  for (int64_t block = first_block; block < last_block; ++block) {
    const int64_t start = block * kLanes;
    const int64_t count = std::min(kLanes, d - start);
    for (int64_t row = 0; row < theta; ++row) {
      const T* source = input + row * d + start;
      for (int64_t c = 0; c < count; ++c) buffer[c * theta + row] = NanAsInfinity(source[c]);
    }
    for (int64_t c = 0; c < count; ++c) {
      out[start + c] = QuickSelectColumn(buffer.data() + c * theta, theta, beta);
    }
  }
}

}  // namespace bulyan

#endif  // BULYAN_NATIVE_CLOSEST_TO_MEDIAN_MEAN_H_
