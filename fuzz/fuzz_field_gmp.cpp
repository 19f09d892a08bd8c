// Differential: secp256k1's radix-2^52 base field against GMP. Two values
// with arbitrary limbs inside the representation's invariant (limbs 0..3
// below 2^53, limb 4 below 2^49: every value operations may hand on) go
// through a chain of operations chosen by the input; after each, the value
// must equal GMP's and still keep the invariant.
#include <cstdlib>

#include "fuzz/fuzz_input.h"
#include "internal/fe_secp256k1.h"

namespace {

using vigil::internal::FeSecp256k1;
using vigil::internal::u64;

using vigil::fuzz::Mpz;

const Mpz& prime() {
  static Mpz p;
  static const bool set = mpz_set_str(p.v, "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f", 16) == 0;
  (void)set;
  return p;
}

void value_of(const FeSecp256k1& a, mpz_t out) {
  mpz_set_ui(out, 0);
  for (int i = 4; i >= 0; --i) {
    mpz_mul_2exp(out, out, 52);
    mpz_add_ui(out, out, a.l[static_cast<std::size_t>(i)]);
  }
  mpz_mod(out, out, prime().v);
}

FeSecp256k1 take(FuzzedDataProvider& in) {
  FeSecp256k1 a;
  for (std::size_t i = 0; i < 4; ++i) a.l[i] = in.ConsumeIntegral<u64>() >> 11;
  a.l[4] = in.ConsumeIntegral<u64>() >> 15;
  return a;
}

// Checks `got` against `want` (reduced) and the invariant.
void expect(const FeSecp256k1& got, const mpz_t want) {
  if (!got.is_weakly_reduced()) std::abort();
  Mpz v;
  value_of(got, v.v);
  if (mpz_cmp(v.v, want) != 0) std::abort();
  const auto canonical = got.canonical();
  Mpz c;
  mpz_import(c.v, 4, -1, sizeof(u64), 0, 0, canonical.data());
  if (mpz_cmp(c.v, want) != 0) std::abort();
  if (got.is_zero() != (mpz_sgn(want) == 0) || got.is_zero_vartime() != (mpz_sgn(want) == 0)) std::abort();
  if (got.is_odd() != (mpz_odd_p(want) != 0)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  FeSecp256k1 a = take(in);
  const FeSecp256k1 b = take(in);
  Mpz x, y, r;
  value_of(a, x.v);
  value_of(b, y.v);
  const mpz_srcptr p = prime().v;
  for (int step = 0; step < 8 && in.remaining_bytes() > 0; ++step) {
    switch (in.ConsumeIntegralInRange<int>(0, 7)) {
      case 0: a = a + b, mpz_add(r.v, x.v, y.v); break;
      case 1: a = a - b, mpz_sub(r.v, x.v, y.v); break;
      case 2: a = a * b, mpz_mul(r.v, x.v, y.v); break;
      case 3: a = a.sq(), mpz_mul(r.v, x.v, x.v); break;
      case 4: a = -a, mpz_neg(r.v, x.v); break;
      case 5: {
        const u64 k = in.ConsumeIntegralInRange<u64>(0, 1u << 10);
        a = a.mul_small(k), mpz_mul_ui(r.v, x.v, k);
        break;
      }
      case 6:
        if (mpz_sgn(x.v) == 0) {
          if (!a.invert().is_zero()) std::abort();
          continue;
        }
        mpz_invert(r.v, x.v, p);
        expect(a.invert_vartime(), r.v);
        a = a.invert();
        break;
      default: {
        FeSecp256k1 root;
        const bool square = a.sqrt(root);
        if (square != (mpz_legendre(x.v, p) >= 0)) std::abort();
        if (!square) continue;
        Mpz root_squared;
        value_of(root, r.v);
        mpz_mul(root_squared.v, r.v, r.v);
        mpz_mod(root_squared.v, root_squared.v, p);
        if (mpz_cmp(root_squared.v, x.v) != 0) std::abort();
        a = root;
        break;
      }
    }
    mpz_mod(r.v, r.v, p);
    expect(a, r.v);
    mpz_set(x.v, r.v);
  }
  return 0;
}
