// The fixed-base table method (fixed_base.h) on edwards25519: entries in
// affine Niels form (y + x, y - x, 2dxy), added with the unified law for
// a = -1 twisted Edwards curves, which is complete; the identity entry
// (1, 1, 0) stands for digit 0.
#pragma once

#include <span>

#include "edwards25519.h"
#include "fixed_base.h"

namespace vigil::internal {

struct Edwards25519Comb {
  struct Niels {  // affine (y + x, y - x, 2 d x y)
    Fe25519 y_plus_x, y_minus_x, xy2d;
  };
  using Point = EdwardsPoint;
  using Entry = Niels;
  using PublicOps = RistrettoPointOps;

  static void to_entries(std::span<const EdwardsPoint> points, std::span<Niels> out);
  static Point identity() { return RistrettoPointOps::identity(); }
  static Point dbl(const Point& p) { return RistrettoPointOps::dbl(p); }
  static Point add(const Point& p, const Niels& q, bool /*digit_is_zero: the identity entry adds nothing*/) {
    const Fe25519 a = (p.y - p.x) * q.y_minus_x;
    const Fe25519 b = (p.y + p.x) * q.y_plus_x;
    const Fe25519 c = p.t * q.xy2d;
    const Fe25519 d = p.z + p.z;
    const Fe25519 e = b - a, f = d - c, g = d + c, h = b + a;
    return {e * f, g * h, f * g, e * h};
  }
  static Niels zero_entry() { return {Fe25519::one(), Fe25519::one(), Fe25519::zero()}; }
  static Niels select(bool c, const Niels& a, const Niels& b) {
    return {Fe25519::select(c, a.y_plus_x, b.y_plus_x), Fe25519::select(c, a.y_minus_x, b.y_minus_x),
            Fe25519::select(c, a.xy2d, b.xy2d)};
  }
  // -P swaps y + x with y - x and negates 2dxy.
  static Niels neg(const Niels& q) { return {q.y_minus_x, q.y_plus_x, -q.xy2d}; }
};

using FixedBase25519 = FixedBase<Edwards25519Comb>;

}  // namespace vigil::internal
