#include "secp256k1_point.h"

#include <vector>

namespace vigil::internal {
namespace {

using Order = Fp<kSecp256k1Order>;

// The GLV constants (Gallant, Lambert, Vanstone 2001; the reduced lattice
// basis {(a1, b1), (a2, b2)} of libsecp256k1's scalar_impl.h analysis).
// lambda: the cube root of unity mod n with lambda * (x, y) = (beta * x, y).
constexpr Limbs kLambda = limbs_from_hex("5363ad4cc05c30e0a5261c028812645a122e22ea20816678df02967c1b23bd72");
// -b1 and -b2 = n - a1, the basis coordinates that give k2.
constexpr Limbs kMinusB1 = limbs_from_hex("e4437ed6010e88286f547fa90abfe4c3");
constexpr Limbs kMinusB2 = limbs_from_hex("fffffffffffffffffffffffffffffffe8a280ac50774346dd765cda83db1562c");
// g1 = round(2^384 * b2 / n), g2 = round(2^384 * -b1 / n).
constexpr Limbs kG1 = limbs_from_hex("3086d221a7d46bcde86c90e49284eb153daa8a1471e8ca7fe893209a45dbb031");
constexpr Limbs kG2 = limbs_from_hex("e4437ed6010e88286f547fa90abfe4c4221208ac9df506c61571b4ae8ac47f71");

// round(a * b / 2^384) for 256-bit a and b: the top 128 bits of the 512-bit
// product, plus bit 383 for the rounding.
Limbs mul_shift_384(const Limbs& a, const Limbs& b) {
  u64 wide[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (std::size_t i = 0; i < 4; ++i) {
    u64 carry = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const u128 t = static_cast<u128>(a[i]) * b[j] + wide[i + j] + carry;
      wide[i + j] = static_cast<u64>(t);
      carry = static_cast<u64>(t >> 64);
    }
    wide[i + 4] = carry;
  }
  const u128 rounded = ((static_cast<u128>(wide[7]) << 64) | wide[6]) + (wide[5] >> 63);
  // The high product of a 256-bit scalar and g1 or g2 is below 2^128 - 1, so
  // the rounding cannot carry out.
  return {static_cast<u64>(rounded), static_cast<u64>(rounded >> 64), 0, 0};
}

}  // namespace

void SecpPointOps::to_entries(std::span<const Point> points, std::span<Entry> out) {
  if (points.empty()) return;
  // prefix[i] = z_0 * ... * z_i; one inversion of the whole product, then
  // walk back peeling off one z at a time.
  std::vector<FeSecp> prefix(points.size());
  prefix[0] = points[0].z;
  for (std::size_t i = 1; i < points.size(); ++i) prefix[i] = prefix[i - 1] * points[i].z;
  FeSecp inverse = prefix.back().invert_vartime();
  for (std::size_t i = points.size(); i-- > 0;) {
    const FeSecp zi = i == 0 ? inverse : inverse * prefix[i - 1];
    if (i > 0) inverse = inverse * points[i].z;
    const FeSecp zi2 = zi.sq();
    out[i] = {points[i].x * zi2, points[i].y * zi2 * zi};
  }
}

std::size_t SecpPointOps::decompose(const Limbs& k, std::span<SignedLimbs, 2> out) {
  const Limbs c1 = mul_shift_384(k, kG1);
  const Limbs c2 = mul_shift_384(k, kG2);
  const Order k2 = Order::from_canonical(c1) * Order::from_canonical(kMinusB1) +
                   Order::from_canonical(c2) * Order::from_canonical(kMinusB2);
  const Order k1 = Order::from_canonical(k) - k2 * Order::from_canonical(kLambda);
  out[0] = signed_residue(k1.canonical(), kSecp256k1Order.m);
  out[1] = signed_residue(k2.canonical(), kSecp256k1Order.m);
  return 2;
}

}  // namespace vigil::internal
