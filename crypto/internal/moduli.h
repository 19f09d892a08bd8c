// The four primes vigil computes modulo, with their Montgomery constants
// evaluated at compile time.
#pragma once

#include "fe25519.h"
#include "fe_secp256k1.h"
#include "field.h"
#include "montgomery.h"
#include "vigil/group.h"

namespace vigil::internal {

// ristretto255 group order l = 2^252 + 27742317777372353535851937790883648493.
inline constexpr Modulus kRistrettoOrder =
    make_modulus(limbs_from_hex("1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed"));
// secp256k1 group order n.
inline constexpr Modulus kSecp256k1Order =
    make_modulus(limbs_from_hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"));
// 2^255 - 19, the field of edwards25519 under ristretto255.
inline constexpr Modulus kP25519 =
    make_modulus(limbs_from_hex("7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed"));
// secp256k1's field prime p = 2^256 - 2^32 - 977.
inline constexpr Modulus kSecp256k1Prime =
    make_modulus(limbs_from_hex("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f"));

// The order of each curve's group, which its scalars are reduced modulo. A
// curve without one is a compile error, never a silent default.
template <Curve C>
struct CurveOrder;
template <>
struct CurveOrder<Ristretto255> {
  static constexpr const Modulus& kValue = kRistrettoOrder;
};
template <>
struct CurveOrder<Secp256k1> {
  static constexpr const Modulus& kValue = kSecp256k1Order;
};

template <Curve C>
constexpr const Modulus& group_order() {
  return CurveOrder<C>::kValue;
}

// Both base fields have their own radix-2^51/2^52 arithmetic (fe25519.h,
// fe_secp256k1.h); the Montgomery forms serve as references in tests.
using Fe25519Montgomery = Fp<kP25519>;
using FeSecpMontgomery = Fp<kSecp256k1Prime>;
using FeSecp = FeSecp256k1;

}  // namespace vigil::internal
