#include "secp256k1_ct_point.h"

#include <vector>

namespace vigil::internal {

void SecpCtOps::to_affine_batch(std::span<const Point> points, std::span<AffinePoint> out) {
  if (points.empty()) return;
  // An identity's z = 0 would zero the whole product: it stands in as 1.
  std::vector<FeSecp> z(points.size());
  std::vector<FeSecp> prefix(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    z[i] = FeSecp::select(points[i].z.is_zero(), FeSecp::one(), points[i].z);
    prefix[i] = i == 0 ? z[i] : prefix[i - 1] * z[i];
  }
  FeSecp inverse = prefix.back().invert();
  for (std::size_t i = points.size(); i-- > 0;) {
    const FeSecp zi = i == 0 ? inverse : inverse * prefix[i - 1];
    inverse = inverse * z[i];
    out[i] = {points[i].x * zi, points[i].y * zi};
  }
  // The inverses of the z's reveal the z's; leave no copy behind.
  vigil::secure_wipe(z.data(), z.size() * sizeof(FeSecp));
  vigil::secure_wipe(prefix.data(), prefix.size() * sizeof(FeSecp));
}

}  // namespace vigil::internal
