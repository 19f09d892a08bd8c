#include "sswu_secp256k1.h"

namespace vigil::internal {
namespace {

// E': A' and B' = 1771, Z = -11 (RFC 9380 section 8.7).
constexpr FeSecp kA = FeSecp::from_hex("3f8731abdd661adca08a5558f0f5d272e953d363cb6f0e5d405447c01a444533");
constexpr FeSecp kB = FeSecp::from_u64(1771);
const FeSecp kZ = -FeSecp::from_u64(11);

// Appendix E.1: the 3-isogeny map's coefficients, lowest degree first.
constexpr FeSecp kXNum[4] = {
    FeSecp::from_hex("8e38e38e38e38e38e38e38e38e38e38e38e38e38e38e38e38e38e38daaaaa8c7"),
    FeSecp::from_hex("07d3d4c80bc321d5b9f315cea7fd44c5d595d2fc0bf63b92dfff1044f17c6581"),
    FeSecp::from_hex("534c328d23f234e6e2a413deca25caece4506144037c40314ecbd0b53d9dd262"),
    FeSecp::from_hex("8e38e38e38e38e38e38e38e38e38e38e38e38e38e38e38e38e38e38daaaaa88c"),
};
constexpr FeSecp kXDen[2] = {
    // x^2 + k21 x + k20
    FeSecp::from_hex("d35771193d94918a9ca34ccbb7b640dd86cd409542f8487d9fe6b745781eb49b"),
    FeSecp::from_hex("edadc6f64383dc1df7c4b2d51b54225406d36b641f5e41bbc52a56612a8c6d14"),
};
constexpr FeSecp kYNum[4] = {
    FeSecp::from_hex("4bda12f684bda12f684bda12f684bda12f684bda12f684bda12f684b8e38e23c"),
    FeSecp::from_hex("c75e0c32d5cb7c0fa9d0a54b12a0a6d5647ab046d686da6fdffc90fc201d71a3"),
    FeSecp::from_hex("29a6194691f91a73715209ef6512e576722830a201be2018a765e85a9ecee931"),
    FeSecp::from_hex("2f684bda12f684bda12f684bda12f684bda12f684bda12f684bda12f38e38d84"),
};
constexpr FeSecp kYDen[3] = {
    // x^3 + k42 x^2 + k41 x + k40
    FeSecp::from_hex("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffff93b"),
    FeSecp::from_hex("7a06534bb8bdb49fd5e9e6632722c2989467c1bfc8e8d978dfb425d2685c2573"),
    FeSecp::from_hex("6484aa716545ca2cf3a70c3fa8fe337e0a3d21162f0d6299a7bf8192bfd2a76f"),
};

// (p + 1) / 4: since p = 3 mod 4, g^((p+1)/4) is a square root of g when one exists.
constexpr Limbs kSqrtExponent = limbs_from_hex("3fffffffffffffffffffffffffffffffffffffffffffffffffffffffbfffff0c");

bool sqrt_if_square(FeSecp& root, const FeSecp& g) {
  root = g.pow(kSqrtExponent);
  return root.sq() == g;
}

FeSecp curve_rhs(const FeSecp& x) { return x.sq() * x + kA * x + kB; }

}  // namespace

JacobianPoint map_to_curve_secp256k1(const FeSecp& u) {
  // Section 6.6.2, straight-line form.
  FeSecp u2 = u.sq();
  FeSecp zu2 = kZ * u2;
  FeSecp denom = zu2.sq() + zu2;
  FeSecp x1;
  if (denom.is_zero()) {
    x1 = kB * (kZ * kA).invert_vartime();
  } else {
    x1 = (-kB * kA.invert_vartime()) * (FeSecp::one() + denom.invert_vartime());
  }
  FeSecp y;
  FeSecp x = x1;
  if (!sqrt_if_square(y, curve_rhs(x1))) {
    x = zu2 * x1;
    // gx2 = Z^3 u^6 gx1 is square when gx1 is not.
    (void)sqrt_if_square(y, curve_rhs(x));
  }
  if (u.is_odd() != y.is_odd()) y = -y;

  // Appendix E.1: the 3-isogeny E' -> secp256k1.
  FeSecp x2 = x.sq(), x3 = x2 * x;
  FeSecp x_num = kXNum[3] * x3 + kXNum[2] * x2 + kXNum[1] * x + kXNum[0];
  FeSecp x_den = x2 + kXDen[1] * x + kXDen[0];
  FeSecp y_num = kYNum[3] * x3 + kYNum[2] * x2 + kYNum[1] * x + kYNum[0];
  FeSecp y_den = x3 + kYDen[2] * x2 + kYDen[1] * x + kYDen[0];
  if (x_den.is_zero() || y_den.is_zero()) return SecpPointOps::identity();
  return SecpPointOps::from_affine(x_num * x_den.invert_vartime(), y * y_num * y_den.invert_vartime());
}

}  // namespace vigil::internal
