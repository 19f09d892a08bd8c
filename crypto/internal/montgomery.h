// Arithmetic modulo an odd 256-bit prime in Montgomery form, four 64-bit limbs.
//
// One implementation serves every modulus vigil needs: the scalar fields of
// ristretto255 and secp256k1 (secret values) and the base fields of both
// curves (for the variable-time public-data paths). Every function here runs
// in time independent of its operands' values: no branches or memory
// accesses depend on them. pow() and invert() branch on the exponent only,
// which is always a public constant. Anything variable time lives elsewhere
// and says so in its name.
//
// Reference: Koc, Acar, Kaliski, "Analyzing and comparing Montgomery
// multiplication algorithms" (1996), the CIOS method.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

namespace vigil::internal {

__extension__ typedef unsigned __int128 u128;

// For the small field operations (additions, selects) inside point formulas:
// a call and its spills cost more than the operation, and the compiler's
// inliner gives up on them inside large loops.
#define VIGIL_ALWAYS_INLINE [[gnu::always_inline]] inline
using u64 = std::uint64_t;
using Limbs = std::array<u64, 4>;  // little-endian limbs

// A modulus with its precomputed Montgomery constants (R = 2^256).
struct Modulus {
  Limbs m;
  u64 m0_inv;  // -m^-1 mod 2^64
  Limbs r;     // R mod m: the Montgomery form of 1
  Limbs r2;    // R^2 mod m: converts into Montgomery form
  Limbs r3;    // R^3 mod m: reduces a 512-bit value in two halves
};

// Hides a mask's value from the optimiser, so that a select built on it
// stays a select and is not turned into a branch on the condition.
constexpr u64 value_barrier(u64 mask) {
  if (!std::is_constant_evaluated()) __asm__("" : "+r"(mask));
  return mask;
}

namespace mont_detail {

constexpr u64 add_carry(u64 a, u64 b, u64& carry) {
  u128 s = static_cast<u128>(a) + b + carry;
  carry = static_cast<u64>(s >> 64);
  return static_cast<u64>(s);
}

constexpr u64 sub_borrow(u64 a, u64 b, u64& borrow) {
  u128 d = static_cast<u128>(a) - b - borrow;
  borrow = static_cast<u64>(d >> 64) & 1;
  return static_cast<u64>(d);
}

// out = mask ? a : b, for mask all-ones or all-zeros.
constexpr Limbs select(u64 mask, const Limbs& a, const Limbs& b) {
  mask = value_barrier(mask);
  Limbs out{};
  for (std::size_t i = 0; i < 4; ++i) out[i] = (a[i] & mask) | (b[i] & ~mask);
  return out;
}

// Subtracts m from (hi:t) when (hi:t) >= m; requires (hi:t) < 2m.
constexpr Limbs reduce_once(const Limbs& t, u64 hi, const Limbs& m) {
  u64 borrow = 0;
  Limbs d{};
  for (std::size_t i = 0; i < 4; ++i) d[i] = sub_borrow(t[i], m[i], borrow);
  // Keep d unless t < m and nothing overflowed into hi.
  u64 keep_t = borrow & ~hi & 1;
  return select(0 - keep_t, t, d);
}

constexpr u64 inverse_mod_2_64(u64 a) {
  u64 x = a;  // correct to 3 bits for odd a
  for (int i = 0; i < 5; ++i) x *= 2 - a * x;
  return x;
}

constexpr Limbs double_mod(const Limbs& a, const Limbs& m) {
  u64 carry = 0;
  Limbs s{};
  for (std::size_t i = 0; i < 4; ++i) s[i] = add_carry(a[i], a[i], carry);
  return reduce_once(s, carry, m);
}

}  // namespace mont_detail

// a * b * R^-1 mod m for a, b < m (and for any a < 2^256 when b < m).
constexpr Limbs mont_mul(const Limbs& a, const Limbs& b, const Modulus& mod) {
  using mont_detail::add_carry;
  u64 t[6] = {0, 0, 0, 0, 0, 0};
  for (std::size_t i = 0; i < 4; ++i) {
    u64 c = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      u128 p = static_cast<u128>(a[j]) * b[i] + t[j] + c;
      t[j] = static_cast<u64>(p);
      c = static_cast<u64>(p >> 64);
    }
    u64 carry = 0;
    t[4] = add_carry(t[4], c, carry);
    t[5] = carry;

    u64 q = t[0] * mod.m0_inv;
    u128 p = static_cast<u128>(q) * mod.m[0] + t[0];
    c = static_cast<u64>(p >> 64);
    for (std::size_t j = 1; j < 4; ++j) {
      p = static_cast<u128>(q) * mod.m[j] + t[j] + c;
      t[j - 1] = static_cast<u64>(p);
      c = static_cast<u64>(p >> 64);
    }
    carry = 0;
    t[3] = add_carry(t[4], c, carry);
    t[4] = t[5] + carry;
  }
  return mont_detail::reduce_once(Limbs{t[0], t[1], t[2], t[3]}, t[4], mod.m);
}

constexpr Modulus make_modulus(const Limbs& m) {
  Modulus mod{m, 0 - mont_detail::inverse_mod_2_64(m[0]), {}, {}, {}};
  // 2^256 mod m by doubling 1 256 times, then 2^512 by 256 more.
  Limbs x{1, 0, 0, 0};
  for (int i = 0; i < 256; ++i) x = mont_detail::double_mod(x, m);
  mod.r = x;
  for (int i = 0; i < 256; ++i) x = mont_detail::double_mod(x, m);
  mod.r2 = x;
  mod.r3 = mont_mul(mod.r2, mod.r2, mod);
  return mod;
}

constexpr Limbs mod_add(const Limbs& a, const Limbs& b, const Modulus& mod) {
  u64 carry = 0;
  Limbs s{};
  for (std::size_t i = 0; i < 4; ++i) s[i] = mont_detail::add_carry(a[i], b[i], carry);
  return mont_detail::reduce_once(s, carry, mod.m);
}

constexpr Limbs mod_sub(const Limbs& a, const Limbs& b, const Modulus& mod) {
  u64 borrow = 0;
  Limbs d{};
  for (std::size_t i = 0; i < 4; ++i) d[i] = mont_detail::sub_borrow(a[i], b[i], borrow);
  u64 mask = 0 - borrow;
  u64 carry = 0;
  for (std::size_t i = 0; i < 4; ++i) d[i] = mont_detail::add_carry(d[i], mod.m[i] & mask, carry);
  return d;
}

constexpr Limbs mod_neg(const Limbs& a, const Modulus& mod) { return mod_sub(Limbs{}, a, mod); }

constexpr bool limbs_is_zero(const Limbs& a) { return ((a[0] | a[1] | a[2] | a[3]) == 0); }

constexpr bool limbs_equal(const Limbs& a, const Limbs& b) {
  return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3])) == 0;
}

// a < m, in constant time.
constexpr bool limbs_less_than(const Limbs& a, const Limbs& m) {
  u64 borrow = 0;
  for (std::size_t i = 0; i < 4; ++i) (void)mont_detail::sub_borrow(a[i], m[i], borrow);
  return borrow == 1;
}

// A residue k mod q written as +-abs with abs <= q / 2: the short form that
// a signed-digit recoding wants (q - 1 becomes -1). Constant time.
struct SignedLimbs {
  Limbs abs;
  bool negative;
};
constexpr SignedLimbs signed_residue(const Limbs& k, const Limbs& q) {
  u64 borrow = 0;
  Limbs neg{};
  for (std::size_t i = 0; i < 4; ++i) neg[i] = mont_detail::sub_borrow(q[i], k[i], borrow);
  // k > q / 2 exactly when q - k < k.
  const bool negative = limbs_less_than(neg, k);
  return {mont_detail::select(0 - static_cast<u64>(negative), neg, k), negative};
}

constexpr Limbs to_mont(const Limbs& a, const Modulus& mod) { return mont_mul(a, mod.r2, mod); }
constexpr Limbs from_mont(const Limbs& a, const Modulus& mod) { return mont_mul(a, Limbs{1, 0, 0, 0}, mod); }

// The Montgomery form of (hi * 2^256 + lo) mod m, for any 512-bit value.
constexpr Limbs mont_from_wide(const Limbs& lo, const Limbs& hi, const Modulus& mod) {
  return mod_add(mont_mul(lo, mod.r2, mod), mont_mul(hi, mod.r3, mod), mod);
}

// a^e in Montgomery form; e is a public exponent (canonical limbs).
constexpr Limbs mont_pow(const Limbs& a, const Limbs& e, const Modulus& mod) {
  Limbs acc = mod.r;
  for (int bit = 255; bit >= 0; --bit) {
    acc = mont_mul(acc, acc, mod);
    if ((e[static_cast<std::size_t>(bit / 64)] >> (bit % 64)) & 1) acc = mont_mul(acc, a, mod);
  }
  return acc;
}

// a^-1 by Fermat's little theorem (0 maps to 0); constant time in a.
constexpr Limbs mont_invert(const Limbs& a, const Modulus& mod) {
  Limbs e = mod.m;
  u64 borrow = 0;
  e[0] = mont_detail::sub_borrow(e[0], 2, borrow);
  for (std::size_t i = 1; i < 4; ++i) e[i] = mont_detail::sub_borrow(e[i], 0, borrow);
  return mont_pow(a, e, mod);
}

// Variable time, for public values only: a^-1 via GMP's extended Euclid,
// about ten times faster than mont_invert. Requires a != 0.
Limbs mont_invert_vartime(const Limbs& a, const Modulus& mod);

// The same on canonical limbs: x^-1 mod m for 0 < x < m, m prime.
Limbs invert_mod_vartime(const Limbs& x, const Limbs& m);

// Byte conversion of canonical (non-Montgomery) limbs.
constexpr Limbs limbs_from_be(std::span<const std::uint8_t, 32> in) {
  Limbs out{};
  for (std::size_t i = 0; i < 32; ++i) out[(31 - i) / 8] |= static_cast<u64>(in[i]) << (8 * ((31 - i) % 8));
  return out;
}
constexpr Limbs limbs_from_le(std::span<const std::uint8_t, 32> in) {
  Limbs out{};
  for (std::size_t i = 0; i < 32; ++i) out[i / 8] |= static_cast<u64>(in[i]) << (8 * (i % 8));
  return out;
}
constexpr void limbs_to_be(std::span<std::uint8_t, 32> out, const Limbs& a) {
  for (std::size_t i = 0; i < 32; ++i) out[i] = static_cast<std::uint8_t>(a[(31 - i) / 8] >> (8 * ((31 - i) % 8)));
}
constexpr void limbs_to_le(std::span<std::uint8_t, 32> out, const Limbs& a) {
  for (std::size_t i = 0; i < 32; ++i) out[i] = static_cast<std::uint8_t>(a[i / 8] >> (8 * (i % 8)));
}

// Parses "0x..." or plain hex of at most 64 digits at compile time.
constexpr Limbs limbs_from_hex(const char* hex) {
  Limbs out{};
  std::size_t n = 0;
  if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex += 2;
  while (hex[n] != '\0') ++n;
  for (std::size_t i = 0; i < n; ++i) {
    char c = hex[n - 1 - i];
    u64 v = (c >= '0' && c <= '9')   ? static_cast<u64>(c - '0')
            : (c >= 'a' && c <= 'f') ? static_cast<u64>(c - 'a' + 10)
                                     : static_cast<u64>(c - 'A' + 10);
    out[i / 16] |= v << (4 * (i % 16));
  }
  return out;
}

}  // namespace vigil::internal
