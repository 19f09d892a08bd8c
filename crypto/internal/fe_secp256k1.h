// Arithmetic modulo secp256k1's p = 2^256 - 2^32 - 977 in radix 2^52 (five
// 64-bit limbs), the representation libsecp256k1 chose for 64-bit C: a
// multiplication is 25 64x64-bit products, and the part of the product above
// 2^256 folds back with one small constant, since 2^256 = 2^32 + 977 (mod p).
// About twice as fast as the generic Montgomery code for this prime. Every
// operation is constant time except invert_vartime(); pow() branches only on
// its public exponent.
//
// Invariant ("weakly reduced"): after every operation limbs 0..3 are below
// 2^53 and limb 4 below 2^49, so the value is below 2^257 but need not be
// below p; canonical() gives the unique representative below p. A libsecp256k1
// style lazy reduction (magnitudes tracked by the caller) would save a carry
// pass per addition; one invariant that every operation keeps is easier to
// check and to test.
#pragma once

#include <array>
#include <cstdint>

#include "montgomery.h"

namespace vigil::internal {

struct FeSecp256k1 {
  std::array<u64, 5> l{};

  static constexpr u64 kMask52 = (u64{1} << 52) - 1;
  static constexpr u64 kMask48 = (u64{1} << 48) - 1;
  static constexpr u64 kFold256 = 0x1000003d1;   // 2^256 mod p
  static constexpr u64 kFold260 = 0x1000003d10;  // 2^260 mod p: a carry out of limb 4's 52 bits
  // p in radix 2^52.
  static constexpr std::array<u64, 5> kP = {0xffffefffffc2f, kMask52, kMask52, kMask52, kMask48};

  static constexpr FeSecp256k1 zero() { return {}; }
  static constexpr FeSecp256k1 one() { return {{1, 0, 0, 0, 0}}; }
  static constexpr FeSecp256k1 from_u64(u64 x) { return {{x & kMask52, x >> 52, 0, 0, 0}}; }

  // From any little-endian 256-bit value; one at or above p is kept as it
  // is (a valid representation: canonical() reduces it).
  static constexpr FeSecp256k1 from_canonical(const Limbs& x) {
    return {{x[0] & kMask52, ((x[0] >> 52) | (x[1] << 12)) & kMask52, ((x[1] >> 40) | (x[2] << 24)) & kMask52,
             ((x[2] >> 28) | (x[3] << 36)) & kMask52, x[3] >> 16}};
  }
  static constexpr FeSecp256k1 from_hex(const char* hex) { return from_canonical(limbs_from_hex(hex)); }

  // The representative below p as four 64-bit limbs.
  constexpr Limbs canonical() const {
    FeSecp256k1 t = *this;
    // A sequential carry pass: limbs 0..3 below 2^52, limb 4 at most
    // 2^48 + 1, so the value is below 2^256 + 2^209 < 2p.
    t.l[0] += (t.l[4] >> 48) * kFold256;
    t.l[4] &= kMask48;
    for (int i = 0; i < 4; ++i) {
      t.l[i + 1] += t.l[i] >> 52;
      t.l[i] &= kMask52;
    }
    // Subtract p once when t >= p: when t reached 2^256, or when every limb
    // above the lowest is all ones and the lowest is at least p's.
    const u64 upper_all_ones = (t.l[4] ^ kMask48) | ((t.l[1] & t.l[2] & t.l[3]) ^ kMask52);
    const u64 upper_is_p = 1 ^ ((upper_all_ones | (0 - upper_all_ones)) >> 63);
    const u64 low_at_least_p = (t.l[0] + kFold256) >> 52;
    const u64 subtract = (t.l[4] >> 48) | (upper_is_p & low_at_least_p);
    // t - p = t + (2^256 - p) - 2^256.
    t.l[0] += subtract * kFold256;
    for (int i = 0; i < 4; ++i) {
      t.l[i + 1] += t.l[i] >> 52;
      t.l[i] &= kMask52;
    }
    t.l[4] &= kMask48;
    return {t.l[0] | (t.l[1] << 52), (t.l[1] >> 12) | (t.l[2] << 40), (t.l[2] >> 24) | (t.l[3] << 28),
            (t.l[3] >> 36) | (t.l[4] << 16)};
  }

  constexpr bool is_zero() const { return limbs_is_zero(canonical()); }
  // The same for public values: one carry pass, after which zero is either
  // all-zero limbs or p's.
  VIGIL_ALWAYS_INLINE constexpr bool is_zero_vartime() const {
    std::array<u64, 5> t = l;
    t[0] += (t[4] >> 48) * kFold256;
    t[4] &= kMask48;
    for (int i = 0; i < 4; ++i) {
      t[i + 1] += t[i] >> 52;
      t[i] &= kMask52;
    }
    return (t[0] | t[1] | t[2] | t[3] | t[4]) == 0 || t == kP;
  }
  constexpr bool is_odd() const { return (canonical()[0] & 1) != 0; }
  // Whether the limbs keep the invariant above; for tests and assertions.
  constexpr bool is_weakly_reduced() const { return (l[0] | l[1] | l[2] | l[3]) >> 53 == 0 && l[4] >> 49 == 0; }

  VIGIL_ALWAYS_INLINE friend constexpr FeSecp256k1 operator+(const FeSecp256k1& a, const FeSecp256k1& b) {
    FeSecp256k1 r;
    for (int i = 0; i < 5; ++i) r.l[i] = a.l[i] + b.l[i];
    return carried(r);
  }

  VIGIL_ALWAYS_INLINE friend constexpr FeSecp256k1 operator-(const FeSecp256k1& a, const FeSecp256k1& b) {
    // a + 4p - b: 4p's limbs exceed any weakly reduced limb, so none goes negative.
    FeSecp256k1 r;
    for (int i = 0; i < 5; ++i) r.l[i] = a.l[i] + 4 * kP[i] - b.l[i];
    return carried(r);
  }

  VIGIL_ALWAYS_INLINE friend constexpr FeSecp256k1 operator-(const FeSecp256k1& a) { return zero() - a; }

  // Multiplication by a small constant (k <= 2^10), cheaper than a product.
  VIGIL_ALWAYS_INLINE constexpr FeSecp256k1 mul_small(u64 k) const {
    FeSecp256k1 r;
    for (int i = 0; i < 5; ++i) r.l[i] = l[i] * k;
    return carried(r);
  }

  friend constexpr FeSecp256k1 operator*(const FeSecp256k1& a, const FeSecp256k1& b) {
    auto m = [](u64 x, u64 y) { return static_cast<u128>(x) * y; };
    const auto& x = a.l;
    const auto& y = b.l;
    return reduce_wide({m(x[0], y[0]), m(x[0], y[1]) + m(x[1], y[0]), m(x[0], y[2]) + m(x[1], y[1]) + m(x[2], y[0]),
                        m(x[0], y[3]) + m(x[1], y[2]) + m(x[2], y[1]) + m(x[3], y[0]),
                        m(x[0], y[4]) + m(x[1], y[3]) + m(x[2], y[2]) + m(x[3], y[1]) + m(x[4], y[0]),
                        m(x[1], y[4]) + m(x[2], y[3]) + m(x[3], y[2]) + m(x[4], y[1]),
                        m(x[2], y[4]) + m(x[3], y[3]) + m(x[4], y[2]), m(x[3], y[4]) + m(x[4], y[3]), m(x[4], y[4])});
  }

  constexpr FeSecp256k1 sq() const {
    auto m = [](u64 x, u64 y) { return static_cast<u128>(x) * y; };
    const u64 d0 = 2 * l[0], d1 = 2 * l[1], d2 = 2 * l[2], d3 = 2 * l[3];
    return reduce_wide({m(l[0], l[0]), m(d0, l[1]), m(d0, l[2]) + m(l[1], l[1]), m(d0, l[3]) + m(d1, l[2]),
                        m(d0, l[4]) + m(d1, l[3]) + m(l[2], l[2]), m(d1, l[4]) + m(d2, l[3]),
                        m(d2, l[4]) + m(l[3], l[3]), m(d3, l[4]), m(l[4], l[4])});
  }

  constexpr FeSecp256k1 sq_n(int n) const {
    FeSecp256k1 r = *this;
    for (int i = 0; i < n; ++i) r = r.sq();
    return r;
  }

  friend constexpr bool operator==(const FeSecp256k1& a, const FeSecp256k1& b) {
    return limbs_equal(a.canonical(), b.canonical());
  }

  // Branch-free select: c ? a : b.
  VIGIL_ALWAYS_INLINE static constexpr FeSecp256k1 select(bool c, const FeSecp256k1& a, const FeSecp256k1& b) {
    const u64 mask = value_barrier(0 - static_cast<u64>(c));
    FeSecp256k1 r;
    for (int i = 0; i < 5; ++i) r.l[i] = (a.l[i] & mask) | (b.l[i] & ~mask);
    return r;
  }

  // x^e for a public exponent, by square-and-multiply.
  constexpr FeSecp256k1 pow(const Limbs& e) const {
    FeSecp256k1 acc = one();
    for (int bit = 255; bit >= 0; --bit) {
      acc = acc.sq();
      if ((e[static_cast<std::size_t>(bit / 64)] >> (bit % 64)) & 1) acc = acc * *this;
    }
    return acc;
  }

  // x^-1 = x^(p - 2) (and 0 for 0), constant time. p - 2 in binary is 223
  // ones, a zero, 22 ones, 0000 and 101101: 255 squarings and 15 products.
  constexpr FeSecp256k1 invert() const {
    FeSecp256k1 x2, x22, x223;
    ones_chain(x2, x22, x223);
    return (((x223.sq_n(23) * x22).sq_n(5) * *this).sq_n(3) * x2).sq_n(2) * *this;
  }

  // Variable time, for public values only: GMP's extended Euclid on the
  // canonical value. Requires a non-zero value.
  FeSecp256k1 invert_vartime() const;

  // A square root when one exists: x^((p + 1) / 4), since p = 3 (mod 4).
  // (p + 1) / 4 in binary is 223 ones, a zero, 22 ones, 0000 and 1100.
  constexpr bool sqrt(FeSecp256k1& root) const {
    FeSecp256k1 x2, x22, x223;
    ones_chain(x2, x22, x223);
    root = ((x223.sq_n(23) * x22).sq_n(6) * x2).sq_n(2);
    return root.sq() == *this;
  }

 private:
  // x^(2^k - 1) for k = 2, 22 and 223, the runs of ones in p - 2 and (p + 1) / 4.
  constexpr void ones_chain(FeSecp256k1& x2, FeSecp256k1& x22, FeSecp256k1& x223) const {
    x2 = sq() * *this;
    const FeSecp256k1 x3 = x2.sq() * *this;
    const FeSecp256k1 x6 = x3.sq_n(3) * x3;
    const FeSecp256k1 x9 = x6.sq_n(3) * x3;
    const FeSecp256k1 x11 = x9.sq_n(2) * x2;
    x22 = x11.sq_n(11) * x11;
    const FeSecp256k1 x44 = x22.sq_n(22) * x22;
    const FeSecp256k1 x88 = x44.sq_n(44) * x44;
    const FeSecp256k1 x176 = x88.sq_n(88) * x88;
    const FeSecp256k1 x220 = x176.sq_n(44) * x44;
    x223 = x220.sq_n(3) * x3;
  }

  // One parallel carry pass, for limbs below 2^64: limb 0 ends below
  // 2^52 + 2^49, limbs 1..3 below 2^52 + 2^12, limb 4 below 2^48 + 2^12.
  VIGIL_ALWAYS_INLINE static constexpr FeSecp256k1 carried(FeSecp256k1 r) {
    const u64 c0 = r.l[0] >> 52, c1 = r.l[1] >> 52, c2 = r.l[2] >> 52, c3 = r.l[3] >> 52, c4 = r.l[4] >> 48;
    r.l[0] = (r.l[0] & kMask52) + c4 * kFold256;
    r.l[1] = (r.l[1] & kMask52) + c0;
    r.l[2] = (r.l[2] & kMask52) + c1;
    r.l[3] = (r.l[3] & kMask52) + c2;
    r.l[4] = (r.l[4] & kMask48) + c3;
    return r;
  }

  // Reduces the nine columns of a product of weakly reduced values (each
  // below 5 * 2^106). Columns 5..8 weigh 2^260 and more: they are carried into
  // 52-bit digits and folded onto columns 0..4 with 2^260 = kFold260.
  static constexpr FeSecp256k1 reduce_wide(std::array<u128, 9> c) {
    u64 high[5];
    for (int k = 5; k < 8; ++k) {
      c[k + 1] += static_cast<u64>(c[k] >> 52);
      high[k - 5] = static_cast<u64>(c[k]) & kMask52;
    }
    high[3] = static_cast<u64>(c[8]) & kMask52;
    high[4] = static_cast<u64>(c[8] >> 52);
    for (int k = 0; k < 5; ++k) c[k] += static_cast<u128>(high[k]) * kFold260;
    FeSecp256k1 r;
    for (int k = 0; k < 4; ++k) {
      c[k + 1] += static_cast<u64>(c[k] >> 52);
      r.l[k] = static_cast<u64>(c[k]) & kMask52;
    }
    r.l[4] = static_cast<u64>(c[4]) & kMask48;
    const u128 low = static_cast<u128>(static_cast<u64>(c[4] >> 48)) * kFold256 + r.l[0];
    r.l[0] = static_cast<u64>(low) & kMask52;
    r.l[1] += static_cast<u64>(low >> 52);
    return r;
  }
};

inline FeSecp256k1 FeSecp256k1::invert_vartime() const {
  constexpr Limbs kPrime = limbs_from_hex("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f");
  return from_canonical(invert_mod_vartime(canonical(), kPrime));
}

}  // namespace vigil::internal
