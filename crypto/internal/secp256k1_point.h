// Variable-time secp256k1 arithmetic for public points, in Jacobian
// coordinates (a = 0) over the radix-2^52 field. libsecp256k1's public API
// offers no multi-scalar multiplication and converts to affine after every
// addition, so evaluation of commitments and MSM use these formulas
// (Bernstein-Lange EFD: dbl-2009-l, add-2007-bl, madd-2007-bl) on public data
// only. Every function here may branch on its inputs.
//
// The curve has an efficient endomorphism (Gallant, Lambert, Vanstone 2001):
// lambda * (x, y) = (beta * x, y), with lambda a cube root of unity mod n and
// beta one mod p. split_scalar_lambda() writes any scalar as k1 + lambda * k2
// with |k1|, |k2| < 2^128, which halves the doublings of a multiplication.
#pragma once

#include <span>

#include "moduli.h"

namespace vigil::internal {

struct JacobianPoint {
  FeSecp x, y, z;  // affine (x/z^2, y/z^3); z = 0 is the point at infinity
};

struct AffinePoint {
  FeSecp x, y;  // never the point at infinity
};

struct SecpPointOps {
  using Point = JacobianPoint;
  using Entry = AffinePoint;  // the form of precomputed table entries

  // beta, the cube root of unity mod p that matches lambda.
  static constexpr FeSecp kBeta = FeSecp::from_hex("7ae96a2b657c07106e64479eac3434e99cf0497512f58995c1396c28719501ee");

  static Point identity() { return {FeSecp::one(), FeSecp::one(), FeSecp::zero()}; }
  static bool is_identity(const Point& p) { return p.z.is_zero_vartime(); }
  static Point from_affine(const FeSecp& x, const FeSecp& y) { return {x, y, FeSecp::one()}; }
  static Point from_entry(const Entry& e) { return {e.x, e.y, FeSecp::one()}; }

  // dbl-2009-l, 2M + 5S. secp256k1 has prime order, so no point but the
  // identity has y = 0.
  static Point dbl(const Point& p) {
    if (is_identity(p)) return p;
    FeSecp a = p.x.sq();
    FeSecp b = p.y.sq();
    FeSecp c = b.sq();
    FeSecp d = ((p.x + b).sq() - a - c).mul_small(2);
    FeSecp e = a.mul_small(3);
    FeSecp x3 = e.sq() - d.mul_small(2);
    FeSecp y3 = e * (d - x3) - c.mul_small(8);
    return {x3, y3, (p.y * p.z).mul_small(2)};
  }

  // add-2007-bl, 11M + 5S.
  static Point add(const Point& p, const Point& q) {
    if (is_identity(p)) return q;
    if (is_identity(q)) return p;
    FeSecp z1z1 = p.z.sq();
    FeSecp z2z2 = q.z.sq();
    FeSecp u1 = p.x * z2z2;
    FeSecp u2 = q.x * z1z1;
    FeSecp s1 = p.y * q.z * z2z2;
    FeSecp s2 = q.y * p.z * z1z1;
    FeSecp h = u2 - u1;
    FeSecp r = s2 - s1;
    if (h.is_zero_vartime()) return r.is_zero_vartime() ? dbl(p) : identity();
    FeSecp i = h.mul_small(2).sq();
    FeSecp j = h * i;
    r = r.mul_small(2);
    FeSecp v = u1 * i;
    FeSecp x3 = r.sq() - j - v.mul_small(2);
    FeSecp y3 = r * (v - x3) - (s1 * j).mul_small(2);
    FeSecp z3 = ((p.z + q.z).sq() - z1z1 - z2z2) * h;
    return {x3, y3, z3};
  }

  // madd-2007-bl, 7M + 4S: p plus an affine point.
  static Point add_entry(const Point& p, const Entry& q) {
    if (is_identity(p)) return from_entry(q);
    FeSecp z1z1 = p.z.sq();
    FeSecp u2 = q.x * z1z1;
    FeSecp s2 = q.y * p.z * z1z1;
    FeSecp h = u2 - p.x;
    FeSecp r = s2 - p.y;
    if (h.is_zero_vartime()) return r.is_zero_vartime() ? dbl(p) : identity();
    FeSecp hh = h.sq();
    FeSecp i = hh.mul_small(4);
    FeSecp j = h * i;
    r = r.mul_small(2);
    FeSecp v = p.x * i;
    FeSecp x3 = r.sq() - j - v.mul_small(2);
    FeSecp y3 = r * (v - x3) - (p.y * j).mul_small(2);
    FeSecp z3 = (p.z + h).sq() - z1z1 - hh;
    return {x3, y3, z3};
  }

  static Point neg(const Point& p) { return {p.x, -p.y, p.z}; }
  static Entry neg_entry(const Entry& e) { return {e.x, -e.y}; }
  // lambda * e.
  static Entry endo_entry(const Entry& e) { return {e.x * kBeta, e.y}; }

  static bool equal(const Point& p, const Point& q) {
    if (is_identity(p) || is_identity(q)) return is_identity(p) && is_identity(q);
    FeSecp z1z1 = p.z.sq();
    FeSecp z2z2 = q.z.sq();
    return p.x * z2z2 == q.x * z1z1 && p.y * z2z2 * q.z == q.y * z1z1 * p.z;
  }

  // p == q without inverting p's z.
  static bool equal_entry(const Point& p, const Entry& q) {
    if (is_identity(p)) return false;
    FeSecp z2 = p.z.sq();
    return p.x == q.x * z2 && p.y == q.y * z2 * p.z;
  }

  // Affine coordinates; false for the point at infinity.
  static bool to_affine(const Point& p, FeSecp& x, FeSecp& y) {
    if (is_identity(p)) return false;
    FeSecp zi = p.z.invert_vartime();
    FeSecp zi2 = zi.sq();
    x = p.x * zi2;
    y = p.y * zi2 * zi;
    return true;
  }

  // Affine forms of many points with one inversion (Montgomery's trick).
  // Every point must be finite.
  static void to_entries(std::span<const Point> points, std::span<Entry> out);

  // k = k1 + lambda * k2 (mod n) with |k1|, |k2| < 2^128; k is canonical.
  // Returns the number of terms written to `out` (always 2).
  static std::size_t decompose(const Limbs& k, std::span<SignedLimbs, 2> out);
  static constexpr bool kHasEndomorphism = true;
};

}  // namespace vigil::internal
