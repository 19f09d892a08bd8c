// Arithmetic modulo p = 2^255 - 19 in radix 2^51 (five 64-bit limbs), the
// representation of curve25519-donna and curve25519-dalek: a multiplication
// is 25 64x64-bit products and a reduction by 19, about three times faster
// than the generic Montgomery code for this prime. Every operation is
// constant time; pow() branches only on its public exponent.
//
// Invariant: after every operation each limb is below 2^52 ("weakly
// reduced"); canonical() gives the unique representative below p.
#pragma once

#include <array>
#include <cstdint>

#include "montgomery.h"

namespace vigil::internal {

struct Fe25519 {
  std::array<u64, 5> l{};

  static constexpr u64 kMask = (u64{1} << 51) - 1;

  static constexpr Fe25519 zero() { return {}; }
  static constexpr Fe25519 one() { return {{1, 0, 0, 0, 0}}; }
  static constexpr Fe25519 from_u64(u64 x) { return {{x & kMask, x >> 51, 0, 0, 0}}; }

  // From a canonical little-endian 256-bit value below 2^255.
  static constexpr Fe25519 from_canonical(const Limbs& x) {
    return {{x[0] & kMask, ((x[0] >> 51) | (x[1] << 13)) & kMask, ((x[1] >> 38) | (x[2] << 26)) & kMask,
             ((x[2] >> 25) | (x[3] << 39)) & kMask, (x[3] >> 12) & kMask}};
  }

  // The representative below p as four 64-bit limbs.
  constexpr Limbs canonical() const {
    // Two sequential carry passes leave l1..l4 below 2^51 and l0 below 2^51 + 19.
    Fe25519 t = *this;
    for (int pass = 0; pass < 2; ++pass) {
      for (int i = 0; i < 4; ++i) {
        t.l[i + 1] += t.l[i] >> 51;
        t.l[i] &= kMask;
      }
      const u64 c = t.l[4] >> 51;
      t.l[4] &= kMask;
      t.l[0] += 19 * c;
    }
    // q = 1 exactly when t >= p: add 19 and see whether bit 255 is reached.
    u64 q = (t.l[0] + 19) >> 51;
    q = (t.l[1] + q) >> 51;
    q = (t.l[2] + q) >> 51;
    q = (t.l[3] + q) >> 51;
    q = (t.l[4] + q) >> 51;
    t.l[0] += 19 * q;
    for (int i = 0; i < 4; ++i) {
      t.l[i + 1] += t.l[i] >> 51;
      t.l[i] &= kMask;
    }
    t.l[4] &= kMask;
    return {t.l[0] | (t.l[1] << 51), (t.l[1] >> 13) | (t.l[2] << 38), (t.l[2] >> 26) | (t.l[3] << 25),
            (t.l[3] >> 39) | (t.l[4] << 12)};
  }

  constexpr bool is_zero() const { return limbs_is_zero(canonical()); }
  constexpr bool is_odd() const { return (canonical()[0] & 1) != 0; }

  friend constexpr Fe25519 operator+(const Fe25519& a, const Fe25519& b) {
    Fe25519 r;
    for (int i = 0; i < 5; ++i) r.l[i] = a.l[i] + b.l[i];
    return carried(r);
  }

  friend constexpr Fe25519 operator-(const Fe25519& a, const Fe25519& b) {
    // a + 4p - b keeps every limb positive for weakly reduced inputs.
    constexpr u64 k4p0 = 0x1fffffffffffb4, k4pi = 0x1ffffffffffffc;
    Fe25519 r;
    r.l[0] = a.l[0] + k4p0 - b.l[0];
    for (int i = 1; i < 5; ++i) r.l[i] = a.l[i] + k4pi - b.l[i];
    return carried(r);
  }

  friend constexpr Fe25519 operator-(const Fe25519& a) { return zero() - a; }

  friend constexpr Fe25519 operator*(const Fe25519& a, const Fe25519& b) {
    const u64 b1 = 19 * b.l[1], b2 = 19 * b.l[2], b3 = 19 * b.l[3], b4 = 19 * b.l[4];
    auto m = [](u64 x, u64 y) { return static_cast<u128>(x) * y; };
    u128 r0 = m(a.l[0], b.l[0]) + m(a.l[1], b4) + m(a.l[2], b3) + m(a.l[3], b2) + m(a.l[4], b1);
    u128 r1 = m(a.l[0], b.l[1]) + m(a.l[1], b.l[0]) + m(a.l[2], b4) + m(a.l[3], b3) + m(a.l[4], b2);
    u128 r2 = m(a.l[0], b.l[2]) + m(a.l[1], b.l[1]) + m(a.l[2], b.l[0]) + m(a.l[3], b4) + m(a.l[4], b3);
    u128 r3 = m(a.l[0], b.l[3]) + m(a.l[1], b.l[2]) + m(a.l[2], b.l[1]) + m(a.l[3], b.l[0]) + m(a.l[4], b4);
    u128 r4 = m(a.l[0], b.l[4]) + m(a.l[1], b.l[3]) + m(a.l[2], b.l[2]) + m(a.l[3], b.l[1]) + m(a.l[4], b.l[0]);
    return reduce_wide(r0, r1, r2, r3, r4);
  }

  constexpr Fe25519 sq() const {
    const u64 d0 = 2 * l[0], d1 = 2 * l[1], d2_19 = 38 * l[2], d3_19 = 38 * l[3];
    const u64 l3_19 = 19 * l[3], l4_19 = 19 * l[4];
    auto m = [](u64 x, u64 y) { return static_cast<u128>(x) * y; };
    u128 r0 = m(l[0], l[0]) + m(d1, l4_19) + m(d2_19, l[3]);
    u128 r1 = m(d0, l[1]) + m(d2_19, l[4]) + m(l[3], l3_19);
    u128 r2 = m(d0, l[2]) + m(l[1], l[1]) + m(d3_19, l[4]);
    u128 r3 = m(d0, l[3]) + m(d1, l[2]) + m(l[4], l4_19);
    u128 r4 = m(d0, l[4]) + m(d1, l[3]) + m(l[2], l[2]);
    return reduce_wide(r0, r1, r2, r3, r4);
  }

  constexpr Fe25519 sq_n(int n) const {
    Fe25519 r = *this;
    for (int i = 0; i < n; ++i) r = r.sq();
    return r;
  }

  friend constexpr bool operator==(const Fe25519& a, const Fe25519& b) {
    return limbs_equal(a.canonical(), b.canonical());
  }

  static constexpr Fe25519 select(bool c, const Fe25519& a, const Fe25519& b) {
    const u64 mask = value_barrier(0 - static_cast<u64>(c));
    Fe25519 r;
    for (int i = 0; i < 5; ++i) r.l[i] = (a.l[i] & mask) | (b.l[i] & ~mask);
    return r;
  }

  // x^e for a public exponent, by square-and-multiply.
  constexpr Fe25519 pow(const Limbs& e) const {
    Fe25519 acc = one();
    for (int bit = 255; bit >= 0; --bit) {
      acc = acc.sq();
      if ((e[static_cast<std::size_t>(bit / 64)] >> (bit % 64)) & 1) acc = acc * *this;
    }
    return acc;
  }

  // x^(2^250 - 1) and x^11 by the ref10 addition chain, shared by the two powers below.
  constexpr void pow_chain(Fe25519& z2_250_0, Fe25519& z11) const {
    const Fe25519 z2 = sq();
    const Fe25519 z9 = z2.sq_n(2) * *this;
    z11 = z9 * z2;
    const Fe25519 z2_5_0 = z11.sq() * z9;
    const Fe25519 z2_10_0 = z2_5_0.sq_n(5) * z2_5_0;
    const Fe25519 z2_20_0 = z2_10_0.sq_n(10) * z2_10_0;
    const Fe25519 z2_40_0 = z2_20_0.sq_n(20) * z2_20_0;
    const Fe25519 z2_50_0 = z2_40_0.sq_n(10) * z2_10_0;
    const Fe25519 z2_100_0 = z2_50_0.sq_n(50) * z2_50_0;
    const Fe25519 z2_200_0 = z2_100_0.sq_n(100) * z2_100_0;
    z2_250_0 = z2_200_0.sq_n(50) * z2_50_0;
  }

  // x^((p - 5) / 8) = x^(2^252 - 3), for square roots.
  constexpr Fe25519 pow_p58() const {
    Fe25519 z2_250_0, z11;
    pow_chain(z2_250_0, z11);
    return z2_250_0.sq_n(2) * *this;
  }

  // x^(p - 2) = x^-1 (and 0 for 0).
  constexpr Fe25519 invert() const {
    Fe25519 z2_250_0, z11;
    pow_chain(z2_250_0, z11);
    return z2_250_0.sq_n(5) * z11;
  }
  constexpr Fe25519 invert_vartime() const { return invert(); }

 private:
  // One carry pass: limbs below 2^51 except limb 0, below 2^51 + 19 * 2^13.
  static constexpr Fe25519 carried(Fe25519 r) {
    const u64 c0 = r.l[0] >> 51, c1 = r.l[1] >> 51, c2 = r.l[2] >> 51, c3 = r.l[3] >> 51, c4 = r.l[4] >> 51;
    r.l[0] = (r.l[0] & kMask) + 19 * c4;
    r.l[1] = (r.l[1] & kMask) + c0;
    r.l[2] = (r.l[2] & kMask) + c1;
    r.l[3] = (r.l[3] & kMask) + c2;
    r.l[4] = (r.l[4] & kMask) + c3;
    return r;
  }

  static constexpr Fe25519 reduce_wide(u128 r0, u128 r1, u128 r2, u128 r3, u128 r4) {
    r1 += static_cast<u64>(r0 >> 51);
    r2 += static_cast<u64>(r1 >> 51);
    r3 += static_cast<u64>(r2 >> 51);
    r4 += static_cast<u64>(r3 >> 51);
    const u128 top = r4 >> 51;
    Fe25519 out{{static_cast<u64>(r0) & kMask, static_cast<u64>(r1) & kMask, static_cast<u64>(r2) & kMask,
                 static_cast<u64>(r3) & kMask, static_cast<u64>(r4) & kMask}};
    const u128 low = static_cast<u128>(out.l[0]) + top * 19;
    out.l[0] = static_cast<u64>(low) & kMask;
    out.l[1] += static_cast<u64>(low >> 51);
    return out;
  }
};

}  // namespace vigil::internal
