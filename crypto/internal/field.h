// A prime-field element as a value type over the Montgomery arithmetic of
// montgomery.h, so that curve formulas read like their papers.
#pragma once

#include "montgomery.h"

namespace vigil::internal {

template <const Modulus& M>
struct Fp {
  Limbs v{};  // Montgomery form

  static constexpr Fp zero() { return Fp{}; }
  static constexpr Fp one() { return Fp{M.r}; }
  static constexpr Fp from_u64(u64 x) { return Fp{to_mont(Limbs{x, 0, 0, 0}, M)}; }
  // From canonical limbs already known to be < m.
  static constexpr Fp from_canonical(const Limbs& x) { return Fp{to_mont(x, M)}; }
  static constexpr Fp from_hex(const char* hex) { return from_canonical(limbs_from_hex(hex)); }

  constexpr Limbs canonical() const { return from_mont(v, M); }
  constexpr bool is_zero() const { return limbs_is_zero(v); }
  // The "sign" of RFC 9380 / RFC 9496: the low bit of the canonical value.
  constexpr bool is_odd() const { return (canonical()[0] & 1) != 0; }

  constexpr Fp sq() const { return Fp{mont_mul(v, v, M)}; }
  constexpr Fp pow(const Limbs& e) const { return Fp{mont_pow(v, e, M)}; }
  constexpr Fp invert() const { return Fp{mont_invert(v, M)}; }
  Fp invert_vartime() const { return Fp{mont_invert_vartime(v, M)}; }

  friend constexpr Fp operator+(const Fp& a, const Fp& b) { return Fp{mod_add(a.v, b.v, M)}; }
  friend constexpr Fp operator-(const Fp& a, const Fp& b) { return Fp{mod_sub(a.v, b.v, M)}; }
  friend constexpr Fp operator*(const Fp& a, const Fp& b) { return Fp{mont_mul(a.v, b.v, M)}; }
  friend constexpr Fp operator-(const Fp& a) { return Fp{mod_neg(a.v, M)}; }
  friend constexpr bool operator==(const Fp& a, const Fp& b) { return limbs_equal(a.v, b.v); }

  // Branch-free select: c ? a : b.
  static constexpr Fp select(bool c, const Fp& a, const Fp& b) {
    return Fp{mont_detail::select(0 - static_cast<u64>(c), a.v, b.v)};
  }
};

}  // namespace vigil::internal
