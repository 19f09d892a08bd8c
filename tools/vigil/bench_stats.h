// What the load tools (vigil bench ...) report of their measurements.
#pragma once

#include <algorithm>
#include <vector>

namespace vigil::cli {

// The p-quantile (0..1) of `v`, nearest rank; 0 for no values. p = 1 is the
// largest.
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace vigil::cli
