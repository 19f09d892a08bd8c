#include "montgomery.h"

#include <gmp.h>

namespace vigil::internal {

Limbs mont_invert_vartime(const Limbs& a, const Modulus& mod) {
  // In Montgomery form a = xR; we want x^-1 R = R^2 / a. GMP inverts the
  // canonical value a, then one multiplication by R^3 restores the form:
  // mont_mul(a^-1, R^3) = R^2 / a.
  mp_limb_t x[4], m[4], inv[4];
  for (int i = 0; i < 4; ++i) {
    x[i] = a[i];
    m[i] = mod.m[i];
  }
  mpz_t zx, zm, zi;
  mpz_roinit_n(zx, x, 4);
  mpz_roinit_n(zm, m, 4);
  mpz_init(zi);
  mpz_invert(zi, zx, zm);
  size_t count = 0;
  for (auto& limb : inv) limb = 0;
  mpz_export(inv, &count, -1, sizeof(mp_limb_t), 0, 0, zi);
  mpz_clear(zi);
  return mont_mul(Limbs{inv[0], inv[1], inv[2], inv[3]}, mod.r3, mod);
}

}  // namespace vigil::internal
