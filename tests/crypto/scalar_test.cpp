// Scalar arithmetic: encodings, range checks, and differential tests against
// GMP (both curves) and libsodium (ristretto255) on random inputs.
#include <gmp.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>

#include "internal/moduli.h"
#include "support/test_support.h"
#include "vigil/group.h"

namespace vigil {
namespace {

template <Curve C>
class ScalarTest : public ::testing::Test {};
TYPED_TEST_SUITE(ScalarTest, test::AllCurves);

// The group order as bytes in the curve's scalar encoding.
template <Curve C>
Bytes order_bytes() {
  std::array<std::uint8_t, 32> out{};
  if (C::kScalarBigEndian) {
    internal::limbs_to_be(out, internal::group_order<C>().m);
  } else {
    internal::limbs_to_le(out, internal::group_order<C>().m);
  }
  return Bytes(out.begin(), out.end());
}

// Converts an encoding to a GMP integer.
template <Curve C>
void to_mpz(mpz_t out, ByteSpan bytes) {
  mpz_import(out, bytes.size(), C::kScalarBigEndian ? 1 : -1, 1, 0, 0, bytes.data());
}

template <Curve C>
std::string mpz_hex(const mpz_t x) {
  char* s = mpz_get_str(nullptr, 16, x);
  std::string r(s);
  free(s);
  return r;
}

template <Curve C>
std::string scalar_hex(const Scalar<C>& s) {
  mpz_t z;
  mpz_init(z);
  auto e = s.encode();
  to_mpz<C>(z, e);
  std::string r = mpz_hex<C>(z);
  mpz_clear(z);
  return r;
}

TYPED_TEST(ScalarTest, EncodeDecodeRoundTrip) {
  using C = TypeParam;
  SeededRng rng(test::test_seed());
  for (int i = 0; i < 200; ++i) {
    auto s = Scalar<C>::random(rng);
    auto enc = s.encode();
    auto back = Scalar<C>::decode(enc);
    ASSERT_TRUE(back.ok());
    EXPECT_TRUE(*back == s);
  }
  EXPECT_TRUE(Scalar<C>::decode(Scalar<C>::zero().encode())->is_zero());
}

TYPED_TEST(ScalarTest, DecodeRejectsOutOfRangeAndWrongLength) {
  using C = TypeParam;
  Bytes q = order_bytes<C>();
  auto r = Scalar<C>::decode(q);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBadEncoding);

  Bytes all_ones(32, 0xff);
  EXPECT_EQ(Scalar<C>::decode(all_ones).error().code, ErrorCode::kBadEncoding);
  EXPECT_EQ(Scalar<C>::decode(Bytes(31, 0)).error().code, ErrorCode::kBadEncoding);
  EXPECT_EQ(Scalar<C>::decode(Bytes(33, 0)).error().code, ErrorCode::kBadEncoding);
  EXPECT_EQ(Scalar<C>::decode(Bytes{}).error().code, ErrorCode::kBadEncoding);

  // q - 1 is the largest valid scalar, and equals -1.
  mpz_t z;
  mpz_init(z);
  to_mpz<C>(z, q);
  mpz_sub_ui(z, z, 1);
  Bytes qm1(32, 0);  // q - 1 fills all 32 bytes on both curves: no padding needed
  mpz_export(qm1.data(), nullptr, C::kScalarBigEndian ? 1 : -1, 1, 0, 0, z);
  mpz_clear(z);
  auto minus_one = Scalar<C>::decode(qm1);
  ASSERT_TRUE(minus_one.ok());
  EXPECT_TRUE(*minus_one == -Scalar<C>::one());
}

TYPED_TEST(ScalarTest, ArithmeticMatchesGmp) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 1);
  mpz_t q, a, b, r;
  mpz_inits(q, a, b, r, nullptr);
  to_mpz<C>(q, order_bytes<C>());
  for (int i = 0; i < 500; ++i) {
    auto x = Scalar<C>::random(rng);
    auto y = Scalar<C>::random(rng);
    auto xe = x.encode(), ye = y.encode();
    to_mpz<C>(a, xe);
    to_mpz<C>(b, ye);

    mpz_mul(r, a, b);
    mpz_mod(r, r, q);
    ASSERT_EQ(scalar_hex<C>(x * y), mpz_hex<C>(r));
    mpz_add(r, a, b);
    mpz_mod(r, r, q);
    ASSERT_EQ(scalar_hex<C>(x + y), mpz_hex<C>(r));
    mpz_sub(r, a, b);
    mpz_mod(r, r, q);
    ASSERT_EQ(scalar_hex<C>(x - y), mpz_hex<C>(r));
    mpz_neg(r, a);
    mpz_mod(r, r, q);
    ASSERT_EQ(scalar_hex<C>(-x), mpz_hex<C>(r));
    mpz_invert(r, a, q);
    ASSERT_EQ(scalar_hex<C>(*x.invert_vartime()), mpz_hex<C>(r));
    ASSERT_TRUE(x * *x.invert_vartime() == Scalar<C>::one());
  }
  mpz_clears(q, a, b, r, nullptr);
}

TYPED_TEST(ScalarTest, ReduceWideMatchesGmp) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 2);
  mpz_t q, a, r;
  mpz_inits(q, a, r, nullptr);
  to_mpz<C>(q, order_bytes<C>());
  for (std::size_t len : {0u, 1u, 31u, 32u, 33u, 48u, 64u}) {
    for (int i = 0; i < 50; ++i) {
      Bytes wide(len);
      rng.fill(wide);
      if (i == 0) std::fill(wide.begin(), wide.end(), 0xff);
      to_mpz<C>(a, wide);
      mpz_mod(r, a, q);
      ASSERT_EQ(scalar_hex<C>(Scalar<C>::reduce_wide(wide)), mpz_hex<C>(r)) << "length " << len;
    }
  }
  mpz_clears(q, a, r, nullptr);
}

TYPED_TEST(ScalarTest, SmallValuesAndZero) {
  using C = TypeParam;
  EXPECT_TRUE(Scalar<C>::from_u64(0).is_zero());
  EXPECT_TRUE(Scalar<C>::from_u64(2) == Scalar<C>::one() + Scalar<C>::one());
  EXPECT_TRUE(Scalar<C>::from_u64(6) == Scalar<C>::from_u64(2) * Scalar<C>::from_u64(3));
  EXPECT_FALSE(Scalar<C>::zero().invert_vartime().ok());
  auto moved_from = Scalar<C>::from_u64(7);
  auto moved_to = std::move(moved_from);
  EXPECT_TRUE(moved_to == Scalar<C>::from_u64(7));
  EXPECT_TRUE(moved_from.is_zero());  // NOLINT(bugprone-use-after-move): moves wipe the source
}

TEST(RistrettoScalar, MatchesLibsodium) {
  SeededRng rng(test::test_seed() + 3);
  using S = Scalar<Ristretto255>;
  for (int i = 0; i < 300; ++i) {
    auto x = S::random(rng), y = S::random(rng);
    auto xe = x.encode(), ye = y.encode();
    std::array<std::uint8_t, 32> expect{};
    crypto_core_ristretto255_scalar_mul(expect.data(), xe.data(), ye.data());
    ASSERT_EQ((x * y).encode(), expect);
    crypto_core_ristretto255_scalar_add(expect.data(), xe.data(), ye.data());
    ASSERT_EQ((x + y).encode(), expect);
    crypto_core_ristretto255_scalar_sub(expect.data(), xe.data(), ye.data());
    ASSERT_EQ((x - y).encode(), expect);
    crypto_core_ristretto255_scalar_negate(expect.data(), xe.data());
    ASSERT_EQ((-x).encode(), expect);
    ASSERT_EQ(crypto_core_ristretto255_scalar_invert(expect.data(), xe.data()), 0);
    ASSERT_EQ(x.invert_vartime()->encode(), expect);
    std::array<std::uint8_t, 64> wide{};
    rng.fill(wide);
    crypto_core_ristretto255_scalar_reduce(expect.data(), wide.data());
    ASSERT_EQ(S::reduce_wide(wide).encode(), expect);
  }
}

}  // namespace
}  // namespace vigil
