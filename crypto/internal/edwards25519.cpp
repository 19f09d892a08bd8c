#include "edwards25519.h"

namespace vigil::internal {
namespace {

Fe25519 ct_abs(const Fe25519& x) { return Fe25519::select(x.is_odd(), -x, x); }

Edwards25519Constants compute_constants() {
  Edwards25519Constants c{};
  c.d = -(Fe25519::from_u64(121665) * Fe25519::from_u64(121666).invert());
  c.d2 = c.d + c.d;
  // 2^((p-1)/4) is a square root of -1 since 2 is not a square mod p.
  c.sqrt_m1 =
      Fe25519::from_u64(2).pow(limbs_from_hex("1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffb"));
  return c;
}

}  // namespace

const Edwards25519Constants& edwards25519_constants() {
  static const Edwards25519Constants constants = [] {
    Edwards25519Constants c = compute_constants();
    // The sign of 1/sqrt(a-d) does not matter: encode takes CT_ABS of the result.
    sqrt_ratio_m1(c.invsqrt_a_minus_d, Fe25519::one(), -Fe25519::one() - c.d);
    return c;
  }();
  return constants;
}

bool sqrt_ratio_m1(Fe25519& r, const Fe25519& u, const Fe25519& v) {
  // The constants are needed before they exist while computing
  // invsqrt_a_minus_d, so this function uses only the parts it needs.
  static const Edwards25519Constants base = compute_constants();
  Fe25519 v3 = v.sq() * v;
  Fe25519 v7 = v3.sq() * v;
  Fe25519 root = (u * v3) * (u * v7).pow_p58();
  Fe25519 check = v * root.sq();
  bool correct_sign = check == u;
  bool flipped_sign = check == -u;
  bool flipped_sign_i = check == -(u * base.sqrt_m1);
  Fe25519 rotated = base.sqrt_m1 * root;
  root = Fe25519::select(flipped_sign || flipped_sign_i, rotated, root);
  r = ct_abs(root);
  return correct_sign || flipped_sign;
}

bool RistrettoPointOps::decode(Point& out, const std::array<std::uint8_t, 32>& in) {
  const auto& c = edwards25519_constants();
  Limbs s_limbs = limbs_from_le(in);
  if (!limbs_less_than(s_limbs, kP25519.m) || (s_limbs[0] & 1) != 0) return false;
  Fe25519 s = Fe25519::from_canonical(s_limbs);
  Fe25519 ss = s.sq();
  Fe25519 u1 = Fe25519::one() - ss;
  Fe25519 u2 = Fe25519::one() + ss;
  Fe25519 u2_sqr = u2.sq();
  Fe25519 v = -(c.d * u1.sq()) - u2_sqr;
  Fe25519 invsqrt;
  bool was_square = sqrt_ratio_m1(invsqrt, Fe25519::one(), v * u2_sqr);
  Fe25519 den_x = invsqrt * u2;
  Fe25519 den_y = invsqrt * den_x * v;
  Fe25519 x = ct_abs((s + s) * den_x);
  Fe25519 y = u1 * den_y;
  Fe25519 t = x * y;
  if (!was_square || t.is_odd() || y.is_zero()) return false;
  out = {x, y, Fe25519::one(), t};
  return true;
}

std::array<std::uint8_t, 32> RistrettoPointOps::encode(const Point& p) {
  const auto& c = edwards25519_constants();
  Fe25519 u1 = (p.z + p.y) * (p.z - p.y);
  Fe25519 u2 = p.x * p.y;
  Fe25519 invsqrt;
  (void)sqrt_ratio_m1(invsqrt, Fe25519::one(), u1 * u2.sq());
  Fe25519 den1 = invsqrt * u1;
  Fe25519 den2 = invsqrt * u2;
  Fe25519 z_inv = den1 * den2 * p.t;
  Fe25519 ix0 = p.x * c.sqrt_m1;
  Fe25519 iy0 = p.y * c.sqrt_m1;
  Fe25519 enchanted_denominator = den1 * c.invsqrt_a_minus_d;
  bool rotate = (p.t * z_inv).is_odd();
  Fe25519 x = Fe25519::select(rotate, iy0, p.x);
  Fe25519 y = Fe25519::select(rotate, ix0, p.y);
  Fe25519 den_inv = Fe25519::select(rotate, enchanted_denominator, den2);
  y = Fe25519::select((x * z_inv).is_odd(), -y, y);
  Fe25519 s = ct_abs(den_inv * (p.z - y));
  std::array<std::uint8_t, 32> out{};
  limbs_to_le(out, s.canonical());
  return out;
}

}  // namespace vigil::internal
