#include "montgomery.h"

#include <gmp.h>

namespace vigil::internal {

Limbs invert_mod_vartime(const Limbs& x, const Limbs& m) {
  mp_limb_t xs[4], ms[4], inv[4] = {0, 0, 0, 0};
  for (int i = 0; i < 4; ++i) {
    xs[i] = x[i];
    ms[i] = m[i];
  }
  mpz_t zx, zm, zi;
  mpz_roinit_n(zx, xs, 4);
  mpz_roinit_n(zm, ms, 4);
  mpz_init(zi);
  mpz_invert(zi, zx, zm);
  size_t count = 0;
  mpz_export(inv, &count, -1, sizeof(mp_limb_t), 0, 0, zi);
  mpz_clear(zi);
  return {inv[0], inv[1], inv[2], inv[3]};
}

Limbs mont_invert_vartime(const Limbs& a, const Modulus& mod) {
  // In Montgomery form a = xR; we want x^-1 R = R^2 / a. GMP inverts the
  // canonical value a, then one multiplication by R^3 restores the form:
  // mont_mul(a^-1, R^3) = R^2 / a.
  return mont_mul(invert_mod_vartime(a, mod.m), mod.r3, mod);
}

}  // namespace vigil::internal
