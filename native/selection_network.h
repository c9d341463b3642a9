// A comparator network that puts the order statistics first..last of theta values in place.
//
// Batcher's odd-even merge sort network for the next power of two >= theta, with the comparators
// that touch positions >= theta removed (those positions act as +Inf padding, which never moves),
// then pruned backward to the comparators the wanted outputs depend on. The network is the same
// for every coordinate, so it runs on many coordinates at once with branch-free min/max (SIMD),
// which is what makes it faster than a per-coordinate quick-select for Bulyan's small theta.

#ifndef BULYAN_NATIVE_SELECTION_NETWORK_H_
#define BULYAN_NATIVE_SELECTION_NETWORK_H_

#include <algorithm>
#include <cstdint>
#include <vector>

namespace bulyan {

struct Comparator {
  int64_t low;      // receives the minimum
  int64_t high;     // receives the maximum
  bool needs_min;   // whether the minimum is used later
  bool needs_max;   // whether the maximum is used later
};

// Batcher's odd-even merge sort on theta wires, comparators with high < theta only.
inline std::vector<Comparator> OddEvenMergeSortNetwork(int64_t theta) {
  int64_t size = 1;
  while (size < theta) size *= 2;
  std::vector<Comparator> network;
  for (int64_t p = 1; p < size; p *= 2) {
    for (int64_t k = p; k >= 1; k /= 2) {
      for (int64_t j = k % p; j + k < size; j += 2 * k) {
        for (int64_t i = 0; i < std::min(k, size - j - k); ++i) {
          const int64_t low = i + j;
          const int64_t high = i + j + k;
          if (low / (2 * p) == high / (2 * p) && high < theta) {
            network.push_back({low, high, true, true});
          }
        }
      }
    }
  }
  return network;
}

// The comparators needed to place the sorted values of positions first..last (inclusive).
inline std::vector<Comparator> SelectionNetwork(int64_t theta, int64_t first, int64_t last) {
  const std::vector<Comparator> full = OddEvenMergeSortNetwork(theta);
  std::vector<bool> needed(static_cast<size_t>(theta), false);
  for (int64_t position = first; position <= last; ++position) needed[position] = true;
  std::vector<Comparator> pruned;
  for (auto it = full.rbegin(); it != full.rend(); ++it) {
    const bool needs_min = needed[it->low];
    const bool needs_max = needed[it->high];
    if (!needs_min && !needs_max) continue;
    pruned.push_back({it->low, it->high, needs_min, needs_max});
    needed[it->low] = true;
    needed[it->high] = true;
  }
  std::reverse(pruned.begin(), pruned.end());
  return pruned;
}

}  // namespace bulyan

#endif  // BULYAN_NATIVE_SELECTION_NETWORK_H_
