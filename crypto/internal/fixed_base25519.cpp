#include "fixed_base25519.h"

#include <vector>

namespace vigil::internal {

void Edwards25519Comb::to_entries(std::span<const EdwardsPoint> points, std::span<Niels> out) {
  // One inversion for all points (Montgomery's trick).
  std::vector<Fe25519> prefix(points.size());
  Fe25519 acc = Fe25519::one();
  for (std::size_t k = 0; k < points.size(); ++k) {
    prefix[k] = acc;
    acc = acc * points[k].z;
  }
  Fe25519 inv = acc.invert();
  const Fe25519& d2 = edwards25519_constants().d2;
  for (std::size_t k = points.size(); k-- > 0;) {
    const Fe25519 z_inv = inv * prefix[k];
    inv = inv * points[k].z;
    const Fe25519 x = points[k].x * z_inv, y = points[k].y * z_inv;
    out[k] = {y + x, y - x, x * y * d2};
  }
}

}  // namespace vigil::internal
