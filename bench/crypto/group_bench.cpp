// Group primitives, and the measurements behind vigil's choice of backends:
// libsecp256k1 against OpenSSL for secp256k1 points, and the Montgomery
// scalar code against GMP's constant-time mpn_sec_* and libsodium's.
#include <gmp.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <sodium.h>

#include <vector>

#include "bench_support.h"
#include "internal/moduli.h"
#include "internal/msm.h"
#include "vigil/group.h"

namespace vigil::bench {
namespace {

template <Curve C>
void register_group_curve() {
  add(name<C>("BM_BaseMult"), "", [](benchmark::State& state) {
    SeededRng rng(1);
    auto k = Scalar<C>::random(rng);
    for (auto _ : state) benchmark::DoNotOptimize(Element<C>::base_mult(k));
  })->Unit(benchmark::kMicrosecond);

  add(name<C>("BM_VariableBaseMult"), "", [](benchmark::State& state) {
    SeededRng rng(2);
    auto k = Scalar<C>::random(rng);
    auto p = Element<C>::base_mult(Scalar<C>::random(rng));
    for (auto _ : state) benchmark::DoNotOptimize(p.mult(k));
  })->Unit(benchmark::kMicrosecond);

  add(name<C>("BM_PrecomputedMult"), "", [](benchmark::State& state) {
    SeededRng rng(4);
    PrecomputedElement<C> base(Element<C>::base_mult(Scalar<C>::random(rng)));
    auto k = Scalar<C>::random(rng);
    for (auto _ : state) benchmark::DoNotOptimize(base.mult(k));
  })->Unit(benchmark::kMicrosecond);

  add(name<C>("BM_PrecomputedMultAddVartime"), "", [](benchmark::State& state) {
    SeededRng rng(5);
    PrecomputedElement<C> base(Element<C>::base_mult(Scalar<C>::random(rng)));
    auto q = Element<C>::base_mult(Scalar<C>::random(rng));
    auto a = Scalar<C>::random(rng), b = Scalar<C>::random(rng);
    for (auto _ : state) benchmark::DoNotOptimize(base.mult_add_vartime(a, b, q));
  })->Unit(benchmark::kMicrosecond);

  add(name<C>("BM_DecodeElement"), "", [](benchmark::State& state) {
    SeededRng rng(6);
    auto enc = Element<C>::base_mult(Scalar<C>::random(rng)).encode();
    for (auto _ : state) benchmark::DoNotOptimize(Element<C>::decode(enc));
  })->Unit(benchmark::kMicrosecond);

  add(name<C>("BM_ScalarMul"), "", [](benchmark::State& state) {
    SeededRng rng(3);
    auto a = Scalar<C>::random(rng);
    auto b = Scalar<C>::random(rng);
    for (auto _ : state) {
      a *= b;
      benchmark::DoNotOptimize(a);
    }
  })->Unit(benchmark::kNanosecond);
}

// secp256k1's base field: the radix-2^52 arithmetic against the generic
// Montgomery code it replaced.
template <class Fe>
void register_field(const std::string& label) {
  add("BM_FieldMul/" + label, "", [](benchmark::State& state) {
    Fe a = Fe::from_hex("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
    const Fe b = Fe::from_hex("483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8");
    for (auto _ : state) {
      a = a * b;
      benchmark::DoNotOptimize(a);
    }
  })->Unit(benchmark::kNanosecond);
  add("BM_FieldSqr/" + label, "", [](benchmark::State& state) {
    Fe a = Fe::from_hex("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
    for (auto _ : state) {
      a = a.sq();
      benchmark::DoNotOptimize(a);
    }
  })->Unit(benchmark::kNanosecond);
  add("BM_FieldInvert/" + label, "", [](benchmark::State& state) {
    Fe a = Fe::from_hex("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
    for (auto _ : state) {
      a = a.invert() + Fe::one();
      benchmark::DoNotOptimize(a);
    }
  })->Unit(benchmark::kMicrosecond);
}

// Variable-time multi-scalar multiplication at the sizes TDH2 uses: 2 (a
// share proof), 6 (a ciphertext check), 2 + 4t (a batch of t share proofs),
// and t = 30 beside the constant-time weighted sum that combines t decryption
// shares, to show what constant time in the points costs.
template <Curve C>
void register_msm() {
  add(name<C>("BM_WeightedSumSecret") + "/30", "", [](benchmark::State& state) {
    SeededRng rng(8);
    std::vector<Scalar<C>> weights;
    std::vector<Element<C>> elements;
    for (std::size_t i = 0; i < 30; ++i) {
      weights.push_back(Scalar<C>::random(rng));
      elements.push_back(Element<C>::base_mult(Scalar<C>::random(rng)));
    }
    for (auto _ : state) benchmark::DoNotOptimize(internal::weighted_sum_of_secret_elements<C>(weights, elements));
  })->Unit(benchmark::kMicrosecond);
  for (std::size_t n : {2, 6, 18, 30, 122}) {
    add(name<C>("BM_MsmVartime") + "/" + std::to_string(n), "", [n](benchmark::State& state) {
      SeededRng rng(7);
      std::vector<Scalar<C>> scalars;
      std::vector<Element<C>> elements;
      for (std::size_t i = 0; i < n; ++i) {
        scalars.push_back(Scalar<C>::random(rng));
        elements.push_back(Element<C>::base_mult(Scalar<C>::random(rng)));
      }
      for (auto _ : state) benchmark::DoNotOptimize(multi_scalar_mult_vartime<C>(scalars, elements));
    })->Unit(benchmark::kMicrosecond);
  }
}

// secp256k1 backend candidates: OpenSSL's EC_POINT_mul on the same curve.
void register_backend_comparison() {
  add("BM_BackendCompare/secp256k1_openssl_base_mult", "", [](benchmark::State& state) {
    EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_secp256k1);
    EC_POINT* out = EC_POINT_new(group);
    BIGNUM* k = BN_new();
    BN_rand(k, 256, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
    for (auto _ : state) EC_POINT_mul(group, out, k, nullptr, nullptr, nullptr);
    BN_free(k);
    EC_POINT_free(out);
    EC_GROUP_free(group);
  })->Unit(benchmark::kMicrosecond);

  add("BM_BackendCompare/secp256k1_openssl_variable_base_mult", "", [](benchmark::State& state) {
    EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_secp256k1);
    EC_POINT* out = EC_POINT_new(group);
    BIGNUM* k = BN_new();
    BN_rand(k, 256, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
    EC_POINT* p = EC_POINT_new(group);
    EC_POINT_mul(group, p, k, nullptr, nullptr, nullptr);
    for (auto _ : state) EC_POINT_mul(group, out, nullptr, p, k, nullptr);
    EC_POINT_free(p);
    BN_free(k);
    EC_POINT_free(out);
    EC_GROUP_free(group);
  })->Unit(benchmark::kMicrosecond);

  // Constant-time multiplication modulo secp256k1's order with GMP.
  add("BM_BackendCompare/secp256k1_gmp_mpn_sec_mulmod", "", [](benchmark::State& state) {
    const auto& q = internal::kSecp256k1Order.m;
    mp_limb_t m[4], a[4], b[4], prod[8];
    for (int i = 0; i < 4; ++i) {
      m[i] = q[static_cast<std::size_t>(i)];
      a[i] = 0x0123456789abcdefULL * static_cast<mp_limb_t>(i + 1);
      b[i] = 0x0fedcba987654321ULL * static_cast<mp_limb_t>(i + 3);
    }
    a[3] >>= 1;
    b[3] >>= 1;
    std::vector<mp_limb_t> scratch(
        static_cast<std::size_t>(std::max(mpn_sec_mul_itch(4, 4), mpn_sec_div_r_itch(8, 4))));
    for (auto _ : state) {
      mpn_sec_mul(prod, a, 4, b, 4, scratch.data());
      mpn_sec_div_r(prod, 8, m, 4, scratch.data());
      for (int i = 0; i < 4; ++i) a[i] = prod[i];
      benchmark::DoNotOptimize(a);
    }
  })->Unit(benchmark::kNanosecond);

  add("BM_BackendCompare/ristretto255_libsodium_scalar_mul", "", [](benchmark::State& state) {
    unsigned char a[32], b[32];
    crypto_core_ristretto255_scalar_random(a);
    crypto_core_ristretto255_scalar_random(b);
    for (auto _ : state) {
      crypto_core_ristretto255_scalar_mul(a, a, b);
      benchmark::DoNotOptimize(a);
    }
  })->Unit(benchmark::kNanosecond);

  add("BM_BackendCompare/ristretto255_libsodium_add", "", [](benchmark::State& state) {
    unsigned char p[32], q[32], s[32];
    crypto_core_ristretto255_random(p);
    crypto_core_ristretto255_random(q);
    for (auto _ : state) {
      benchmark::DoNotOptimize(crypto_core_ristretto255_add(s, p, q));
    }
  })->Unit(benchmark::kMicrosecond);
}

}  // namespace

void register_group_benchmarks() {
  register_group_curve<Ristretto255>();
  register_group_curve<Secp256k1>();
  register_msm<Ristretto255>();
  register_msm<Secp256k1>();
  register_field<internal::FeSecp256k1>("secp256k1");
  register_field<internal::FeSecpMontgomery>("secp256k1_montgomery");
  register_backend_comparison();
}

}  // namespace vigil::bench
