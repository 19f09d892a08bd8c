// Variable-time secp256k1 arithmetic for public points, in Jacobian
// coordinates (a = 0). libsecp256k1's public API offers no multi-scalar
// multiplication and converts to affine after every addition, so evaluation
// of commitments and MSM use these formulas (Bernstein-Lange EFD:
// dbl-2009-l, add-2007-bl) on public data only.
#pragma once

#include "moduli.h"

namespace vigil::internal {

struct JacobianPoint {
  FeSecp x, y, z;  // affine (x/z^2, y/z^3); z = 0 is the point at infinity
};

struct SecpPointOps {
  using Point = JacobianPoint;

  static Point identity() { return {FeSecp::one(), FeSecp::one(), FeSecp::zero()}; }
  static bool is_identity(const Point& p) { return p.z.is_zero(); }
  static Point from_affine(const FeSecp& x, const FeSecp& y) { return {x, y, FeSecp::one()}; }

  static Point dbl(const Point& p) {
    if (is_identity(p) || p.y.is_zero()) return identity();
    FeSecp a = p.x.sq();
    FeSecp b = p.y.sq();
    FeSecp c = b.sq();
    FeSecp xb = p.x + b;
    FeSecp d = xb.sq() - a - c;
    d = d + d;
    FeSecp e = a + a + a;
    FeSecp f = e.sq();
    FeSecp x3 = f - (d + d);
    FeSecp c8 = c + c;
    c8 = c8 + c8;
    c8 = c8 + c8;
    FeSecp y3 = e * (d - x3) - c8;
    FeSecp yz = p.y * p.z;
    return {x3, y3, yz + yz};
  }

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
    if (h.is_zero()) return r.is_zero() ? dbl(p) : identity();
    FeSecp h2 = h + h;
    FeSecp i = h2.sq();
    FeSecp j = h * i;
    r = r + r;
    FeSecp v = u1 * i;
    FeSecp x3 = r.sq() - j - (v + v);
    FeSecp s1j = s1 * j;
    FeSecp y3 = r * (v - x3) - (s1j + s1j);
    FeSecp z3 = ((p.z + q.z).sq() - z1z1 - z2z2) * h;
    return {x3, y3, z3};
  }

  static Point neg(const Point& p) { return {p.x, -p.y, p.z}; }

  static bool equal(const Point& p, const Point& q) {
    if (is_identity(p) || is_identity(q)) return is_identity(p) && is_identity(q);
    FeSecp z1z1 = p.z.sq();
    FeSecp z2z2 = q.z.sq();
    return p.x * z2z2 == q.x * z1z1 && p.y * z2z2 * q.z == q.y * z1z1 * p.z;
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
};

}  // namespace vigil::internal
