// secp256k1's radix-2^52 base field against GMP, on random values, edge
// values and limbs at the bounds of its invariant.
#include <gmp.h>
#include <gtest/gtest.h>

#include <vector>

#include "internal/moduli.h"
#include "support/test_support.h"
#include "vigil/random.h"

namespace vigil {
namespace {

using internal::FeSecp256k1;
using internal::Limbs;
using internal::u64;

// An mpz_t that frees itself.
class Mpz {
 public:
  Mpz() { mpz_init(v_); }
  explicit Mpz(const char* hex) { mpz_init_set_str(v_, hex, 16); }
  Mpz(const Mpz& o) { mpz_init_set(v_, o.v_); }
  Mpz& operator=(const Mpz& o) {
    mpz_set(v_, o.v_);
    return *this;
  }
  ~Mpz() { mpz_clear(v_); }
  mpz_ptr get() { return v_; }
  mpz_srcptr get() const { return v_; }

 private:
  mpz_t v_;
};

const Mpz& prime() {
  static const Mpz p("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f");
  return p;
}

Mpz from_limbs(const Limbs& x) {
  Mpz r;
  mpz_import(r.get(), 4, -1, sizeof(u64), 0, 0, x.data());
  return r;
}

// The value the five raw limbs stand for, reduced mod p.
Mpz value_of(const FeSecp256k1& a) {
  Mpz r;
  for (int i = 4; i >= 0; --i) {
    mpz_mul_2exp(r.get(), r.get(), 52);
    mpz_add_ui(r.get(), r.get(), a.l[static_cast<std::size_t>(i)]);
  }
  mpz_mod(r.get(), r.get(), prime().get());
  return r;
}

Limbs to_limbs(const Mpz& x) {
  Limbs out{};
  std::size_t count = 0;
  mpz_export(out.data(), &count, -1, sizeof(u64), 0, 0, x.get());
  return out;
}

// Checks that `got` is weakly reduced and stands for `want` (mod p), and that
// canonical() gives exactly want mod p.
::testing::AssertionResult matches(const FeSecp256k1& got, const Mpz& want) {
  if (!got.is_weakly_reduced()) return ::testing::AssertionFailure() << "limbs outside the invariant";
  Mpz reduced;
  mpz_mod(reduced.get(), want.get(), prime().get());
  if (got.canonical() != to_limbs(reduced)) return ::testing::AssertionFailure() << "canonical() differs from GMP";
  if (mpz_cmp(value_of(got).get(), reduced.get()) != 0) return ::testing::AssertionFailure() << "value differs";
  return ::testing::AssertionSuccess();
}

// Field elements worth trying: 0, 1, p - 1 and its neighbours, powers of two
// at limb boundaries, 2^256 - 1 (which reduces), values just below p.
std::vector<FeSecp256k1> edge_values() {
  const char* hex[] = {
      "0",
      "1",
      "2",
      "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2e",  // p - 1
      "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2d",  // p - 2
      "7fffffffffffffffffffffffffffffffffffffffffffffffffffffff7ffffe17",  // (p - 1) / 2
      "7fffffffffffffffffffffffffffffffffffffffffffffffffffffff7ffffe18",  // (p + 1) / 2
      "1000003d1",                                                         // 2^256 mod p
      "fffffffffffff",
      "10000000000000",
      "100000000000000000000000000",
      "ffffffffffffffffffffffffffffffffffffffffffffffffffff",
      "10000000000000000000000000000000000000000000000000000",
      "8000000000000000000000000000000000000000000000000000000000000000",
      "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",  // 2^256 - 1 = p + 2^32 + 976
      "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f",  // p itself
      "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc30",  // p + 1
  };
  std::vector<FeSecp256k1> out;
  for (const char* h : hex) out.push_back(FeSecp256k1::from_hex(h));
  // Limbs at the invariant's maximum, zero as p and as 2p in raw limbs, and a
  // low limb either side of p's.
  const u64 m52 = FeSecp256k1::kMask52, m48 = FeSecp256k1::kMask48;
  out.push_back({{(u64{1} << 53) - 1, (u64{1} << 53) - 1, (u64{1} << 53) - 1, (u64{1} << 53) - 1, (u64{1} << 49) - 1}});
  out.push_back({FeSecp256k1::kP});
  out.push_back({{2 * FeSecp256k1::kP[0], 2 * m52, 2 * m52, 2 * m52, 2 * m48}});
  out.push_back({{0xffffefffffc2e, m52, m52, m52, m48}});
  out.push_back({{0xffffefffffc30, m52, m52, m52, m48}});
  out.push_back({{m52 + (u64{1} << 49), m52, m52, m52, m48}});
  return out;
}

FeSecp256k1 random_element(SeededRng& rng) {
  std::array<std::uint8_t, 32> b{};
  rng.fill(b);
  return FeSecp256k1::from_canonical(internal::limbs_from_le(b));
}

TEST(FeSecp256k1, MatchesGmp) {
  SeededRng rng(test::test_seed() + 31);
  std::vector<FeSecp256k1> values = edge_values();
  const std::size_t edges = values.size();
  for (int i = 0; i < 3000; ++i) values.push_back(random_element(rng));

  const Limbs exponent = internal::limbs_from_hex("c0ffee0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
  for (std::size_t i = 0; i < values.size(); ++i) {
    SCOPED_TRACE(i);
    // Every edge value against every other; random values in pairs.
    for (std::size_t j = 0; j < (i < edges ? edges : 1); ++j) {
      const FeSecp256k1& a = values[i];
      const FeSecp256k1& b = i < edges ? values[j] : values[(i * 7 + 1) % values.size()];
      const Mpz va = value_of(a), vb = value_of(b);
      Mpz want;
      mpz_add(want.get(), va.get(), vb.get());
      ASSERT_TRUE(matches(a + b, want));
      mpz_sub(want.get(), va.get(), vb.get());
      ASSERT_TRUE(matches(a - b, want));
      mpz_mul(want.get(), va.get(), vb.get());
      ASSERT_TRUE(matches(a * b, want));
      ASSERT_EQ(a == b, mpz_cmp(va.get(), vb.get()) == 0);
    }
    const FeSecp256k1& a = values[i];
    const Mpz va = value_of(a);
    Mpz want;
    mpz_neg(want.get(), va.get());
    ASSERT_TRUE(matches(-a, want));
    mpz_mul(want.get(), va.get(), va.get());
    ASSERT_TRUE(matches(a.sq(), want));
    for (u64 k : {u64{2}, u64{3}, u64{8}, u64{21}, u64{1024}}) {
      mpz_mul_ui(want.get(), va.get(), k);
      ASSERT_TRUE(matches(a.mul_small(k), want));
    }
    ASSERT_EQ(a.is_zero(), mpz_sgn(va.get()) == 0);
    ASSERT_EQ(a.is_zero_vartime(), mpz_sgn(va.get()) == 0);
    ASSERT_EQ(a.is_odd(), mpz_odd_p(va.get()) != 0);
    Mpz e = from_limbs(exponent);
    mpz_powm(want.get(), va.get(), e.get(), prime().get());
    ASSERT_TRUE(matches(a.pow(exponent), want));
    if (mpz_sgn(va.get()) == 0) {
      ASSERT_TRUE(a.invert().is_zero());
    } else {
      ASSERT_NE(mpz_invert(want.get(), va.get(), prime().get()), 0);
      ASSERT_TRUE(matches(a.invert(), want));
      ASSERT_TRUE(matches(a.invert_vartime(), want));
    }
    FeSecp256k1 root;
    const bool square = mpz_legendre(va.get(), prime().get()) >= 0;
    ASSERT_EQ(a.sqrt(root), square);
    if (square) {
      ASSERT_TRUE(matches(root.sq(), va));
    }
    ASSERT_EQ(FeSecp256k1::from_canonical(a.canonical()).canonical(), a.canonical());
  }
}

// Long chains of operations, on edge and random values, stay within the
// invariant and agree with GMP.
TEST(FeSecp256k1, LongChainsStayReduced) {
  SeededRng rng(test::test_seed() + 32);
  std::vector<FeSecp256k1> values = edge_values();
  for (int i = 0; i < 200; ++i) values.push_back(random_element(rng));
  for (std::size_t i = 0; i < values.size(); ++i) {
    const FeSecp256k1 a = values[i], b = values[(i + 3) % values.size()];
    FeSecp256k1 c = a;
    Mpz va = value_of(a), vb = value_of(b), vc = value_of(a);
    for (int k = 0; k < 20; ++k) {
      c = (c - b) * (c + b).mul_small(3) - a;
      Mpz s, d;
      mpz_sub(d.get(), vc.get(), vb.get());
      mpz_add(s.get(), vc.get(), vb.get());
      mpz_mul_ui(s.get(), s.get(), 3);
      mpz_mul(vc.get(), d.get(), s.get());
      mpz_sub(vc.get(), vc.get(), va.get());
      mpz_mod(vc.get(), vc.get(), prime().get());
      ASSERT_TRUE(matches(c, vc)) << "value " << i << " round " << k;
    }
  }
}

TEST(FeSecp256k1, SelectAndNonSquares) {
  const FeSecp256k1 a = FeSecp256k1::from_u64(5), b = FeSecp256k1::from_u64(9);
  EXPECT_EQ(FeSecp256k1::select(true, a, b), a);
  EXPECT_EQ(FeSecp256k1::select(false, a, b), b);
  // -1 is not a square modulo p = 3 (mod 4); 7 is (the curve's b).
  FeSecp256k1 root;
  EXPECT_FALSE((-FeSecp256k1::one()).sqrt(root));
  EXPECT_TRUE(FeSecp256k1::from_u64(4).sqrt(root));
  EXPECT_TRUE(root == FeSecp256k1::from_u64(2) || root == -FeSecp256k1::from_u64(2));
}

}  // namespace
}  // namespace vigil
