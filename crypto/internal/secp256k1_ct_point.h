// Constant-time secp256k1 arithmetic, for secret scalars and secret points:
// homogeneous projective coordinates (X : Y : Z) with the identity (0 : 1 : 0)
// and the complete formulas of Renes, Costello and Batina, "Complete addition
// formulas for prime order elliptic curves" (2016), algorithms 7, 8 and 9 for
// a = 0, b = 7. Complete means one sequence of field operations for every
// pair of inputs (equal points, opposite points, the identity), so nothing
// here branches on a point, and the field arithmetic is constant time.
// Only the variable-time file secp256k1_point.h may be used on public data.
#pragma once

#include <span>

#include "fixed_base.h"
#include "secp256k1_point.h"

namespace vigil::internal {

struct ProjectivePoint {
  FeSecp x, y, z;  // affine (x/z, y/z); z = 0 is the point at infinity
};

struct SecpCtOps {
  using Point = ProjectivePoint;
  static constexpr u64 kB3 = 21;  // 3b

  static Point identity() { return {FeSecp::zero(), FeSecp::one(), FeSecp::zero()}; }
  static Point from_affine(const AffinePoint& a) { return {a.x, a.y, FeSecp::one()}; }
  static Point neg(const Point& p) { return {p.x, -p.y, p.z}; }

  // Algorithm 7: 12M + 2 multiplications by 3b.
  static Point add(const Point& p, const Point& q) {
    FeSecp t0 = p.x * q.x;
    FeSecp t1 = p.y * q.y;
    FeSecp t2 = p.z * q.z;
    const FeSecp t3 = (p.x + p.y) * (q.x + q.y) - (t0 + t1);
    const FeSecp t4 = (p.y + p.z) * (q.y + q.z) - (t1 + t2);
    FeSecp y3 = (p.x + p.z) * (q.x + q.z) - (t0 + t2);
    return finish(t0, t1, t2.mul_small(kB3), t3, t4, y3);
  }

  // Algorithm 8: p plus an affine point q (which cannot be the identity),
  // 11M + 2 multiplications by 3b.
  static Point add_affine(const Point& p, const AffinePoint& q) {
    FeSecp t0 = p.x * q.x;
    FeSecp t1 = p.y * q.y;
    const FeSecp t3 = (q.x + q.y) * (p.x + p.y) - (t0 + t1);
    const FeSecp t4 = q.y * p.z + p.y;
    FeSecp y3 = q.x * p.z + p.x;
    return finish(t0, t1, p.z.mul_small(kB3), t3, t4, y3);
  }

  // Algorithm 9: 6M + 2S + 1 multiplication by 3b.
  static Point dbl(const Point& p) {
    FeSecp t0 = p.y.sq();
    FeSecp z3 = t0.mul_small(8);
    const FeSecp t1 = p.y * p.z;
    FeSecp t2 = p.z.sq().mul_small(kB3);
    const FeSecp x3 = t2 * z3;
    FeSecp y3 = t0 + t2;
    z3 = t1 * z3;
    t0 = t0 - t2.mul_small(3);
    y3 = x3 + t0 * y3;
    return {(t0 * (p.x * p.y)).mul_small(2), y3, z3};
  }

  // c ? a : b, without a branch.
  static Point select(bool c, const Point& a, const Point& b) {
    return {FeSecp::select(c, a.x, b.x), FeSecp::select(c, a.y, b.y), FeSecp::select(c, a.z, b.z)};
  }
  static AffinePoint select(bool c, const AffinePoint& a, const AffinePoint& b) {
    return {FeSecp::select(c, a.x, b.x), FeSecp::select(c, a.y, b.y)};
  }

  // Affine coordinates by a constant-time inversion; (0, 0) and false for
  // the identity. The caller may branch on the result only where whether a
  // secret product is the identity is public (it is not for a random scalar).
  static bool to_affine(const Point& p, AffinePoint& out) {
    const FeSecp zi = p.z.invert();
    out = {p.x * zi, p.y * zi};
    return !p.z.is_zero();
  }

  // The same for many points with one constant-time inversion (Montgomery's
  // trick); an identity among them gets an unspecified entry and leaves the
  // others intact.
  static void to_affine_batch(std::span<const Point> points, std::span<AffinePoint> out);

 private:
  // The steps algorithms 7 and 8 share once t0..t4 and y3 are known;
  // b3z = 3b * (Z1 Z2).
  static Point finish(FeSecp t0, FeSecp t1, const FeSecp& b3z, const FeSecp& t3, const FeSecp& t4, FeSecp y3) {
    t0 = t0.mul_small(3);
    const FeSecp z3 = t1 + b3z;
    t1 = t1 - b3z;
    y3 = y3.mul_small(kB3);
    return {t3 * t1 - t4 * y3, t1 * z3 + y3 * t0, z3 * t4 + t0 * t3};
  }
};

// The point interface of straus_vartime() (msm.h) over the complete
// formulas, for sums whose weights are public and whose points are secret
// (Lagrange interpolation of decryption shares): the schedule of additions
// follows the weights' digits, and every addition and doubling is constant
// time in the points.
struct SecpSecretPointOps {
  using Point = ProjectivePoint;
  using Entry = ProjectivePoint;
  static constexpr bool kHasEndomorphism = true;

  static Point identity() { return SecpCtOps::identity(); }
  static Point dbl(const Point& p) { return SecpCtOps::dbl(p); }
  static Point add(const Point& p, const Point& q) { return SecpCtOps::add(p, q); }
  static Point add_entry(const Point& p, const Entry& q) { return SecpCtOps::add(p, q); }
  static Entry neg_entry(const Entry& e) { return SecpCtOps::neg(e); }
  // lambda * e = (beta x : y : z).
  static Entry endo_entry(const Entry& e) { return {e.x * SecpPointOps::kBeta, e.y, e.z}; }
  static std::size_t decompose(const Limbs& k, std::span<SignedLimbs, 2> out) {
    return SecpPointOps::decompose(k, out);
  }
};

// The fixed-base table method (fixed_base.h) on secp256k1: affine entries,
// added with algorithm 8. An affine entry cannot be the identity, so for a
// zero digit the addition of whatever the lookup yielded is computed and its
// result dropped by mask.
struct Secp256k1Comb {
  using Point = ProjectivePoint;
  using Entry = AffinePoint;
  using PublicOps = SecpPointOps;

  static void to_entries(std::span<const JacobianPoint> points, std::span<AffinePoint> out) {
    SecpPointOps::to_entries(points, out);
  }
  static Point identity() { return SecpCtOps::identity(); }
  static Point dbl(const Point& p) { return SecpCtOps::dbl(p); }
  static Point add(const Point& p, const AffinePoint& q, bool digit_is_zero) {
    return SecpCtOps::select(digit_is_zero, p, SecpCtOps::add_affine(p, q));
  }
  static AffinePoint zero_entry() { return {FeSecp::zero(), FeSecp::zero()}; }
  static AffinePoint select(bool c, const AffinePoint& a, const AffinePoint& b) { return SecpCtOps::select(c, a, b); }
  static AffinePoint neg(const AffinePoint& q) { return {q.x, -q.y}; }
};

// Radix 32: 52 additions with lookups of 16 entries measured faster than
// 64 with lookups of 8 (the table is 26 rows of 16 entries, ~33 KiB).
using FixedBaseSecp256k1 = FixedBase<Secp256k1Comb, 5>;

}  // namespace vigil::internal
