// Variable-time edwards25519 arithmetic for public ristretto255 elements.
//
// libsodium's ristretto255 API works on encodings: every addition decodes and
// re-encodes its points, which makes a loop of additions ten times slower than
// it needs to be. Multi-scalar multiplication and commitment evaluation keep
// points here, in extended twisted Edwards coordinates (Hisil, Wong, Carter,
// Dawson, "Twisted Edwards curves revisited", 2008), and convert with the
// RFC 9496 encode/decode. Used only on public data; the tests compare it
// with libsodium on random inputs.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "moduli.h"

namespace vigil::internal {

struct EdwardsPoint {
  Fe25519 x, y, z, t;  // x/z, y/z, x*y = t*z
};

struct Edwards25519Constants {
  Fe25519 d;                  // -121665/121666
  Fe25519 d2;                 // 2d
  Fe25519 sqrt_m1;            // sqrt(-1)
  Fe25519 invsqrt_a_minus_d;  // 1/sqrt(-1-d)
};

const Edwards25519Constants& edwards25519_constants();

// RFC 9496 section 4.2: (was_square, r) with r = sqrt(u/v) when u/v is square.
bool sqrt_ratio_m1(Fe25519& r, const Fe25519& u, const Fe25519& v);

struct RistrettoPointOps {
  using Point = EdwardsPoint;
  using Entry = EdwardsPoint;  // the form of precomputed table entries
  static constexpr bool kHasEndomorphism = false;
  // The unified formulas below have no exceptional inputs (d is not a square),
  // so secret points may be added as they come.
  static constexpr bool kCompleteAddition = true;

  static Point identity() { return {Fe25519::zero(), Fe25519::one(), Fe25519::one(), Fe25519::zero()}; }

  // add-2008-hwcd-3 (a = -1).
  static Point add(const Point& p, const Point& q) {
    const auto& c = edwards25519_constants();
    Fe25519 a = (p.y - p.x) * (q.y - q.x);
    Fe25519 b = (p.y + p.x) * (q.y + q.x);
    Fe25519 cc = p.t * c.d2 * q.t;
    Fe25519 zz = p.z * q.z;
    Fe25519 d = zz + zz;
    Fe25519 e = b - a, f = d - cc, g = d + cc, h = b + a;
    return {e * f, g * h, f * g, e * h};
  }

  // dbl-2008-hwcd (a = -1).
  static Point dbl(const Point& p) {
    Fe25519 a = p.x.sq();
    Fe25519 b = p.y.sq();
    Fe25519 zz = p.z.sq();
    Fe25519 c = zz + zz;
    Fe25519 h = a + b;
    Fe25519 e = h - (p.x + p.y).sq();
    Fe25519 g = a - b;
    Fe25519 f = c + g;
    return {e * f, g * h, f * g, e * h};
  }

  static Point neg(const Point& p) { return {-p.x, p.y, p.z, -p.t}; }
  static Point add_entry(const Point& p, const Entry& q) { return add(p, q); }
  static Entry neg_entry(const Entry& e) { return neg(e); }
  // +-k with |k| <= l/2; ristretto255 has no cheap endomorphism to split by.
  static std::size_t decompose(const Limbs& k, std::span<SignedLimbs, 2> out) {
    out[0] = signed_residue(k, kRistrettoOrder.m);
    return 1;
  }

  // Ristretto equality (RFC 9496 4.3.3): x1*y2 == y1*x2 or y1*y2 == x1*x2.
  static bool equal(const Point& p, const Point& q) { return (p.x * q.y == p.y * q.x) || (p.y * q.y == p.x * q.x); }

  // RFC 9496 4.3.1. Returns false for any invalid or non-canonical encoding.
  static bool decode(Point& out, const std::array<std::uint8_t, 32>& in);

  // RFC 9496 4.3.2.
  static std::array<std::uint8_t, 32> encode(const Point& p);
};

}  // namespace vigil::internal
