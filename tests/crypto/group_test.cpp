// Group elements: RFC 9496 vectors, decode refusals, and the variable-time
// point arithmetic compared with libsodium / libsecp256k1 on random inputs.
#include <gtest/gtest.h>
#include <sodium.h>

#include "internal/msm.h"
#include "internal/point_ops.h"
#include "internal/secp256k1_ct_point.h"
#include "support/test_support.h"
#include "vigil/group.h"

namespace vigil {
namespace {

using internal::PointOps;

template <Curve C>
class GroupTest : public ::testing::Test {};
TYPED_TEST_SUITE(GroupTest, test::AllCurves);

TEST(Ristretto255Vectors, GeneratorMultiples) {
  VIGIL_LOAD_SHARED_OR_SKIP(v, "ristretto255.json");
  const auto& encodings = v["generator_multiples"]["encodings"];
  ASSERT_EQ(encodings.size(), 16u);
  using E = Element<Ristretto255>;
  E sum = E::identity();
  for (std::uint64_t k = 0; k < 16; ++k) {
    Bytes expected = test::hex(encodings[k].get<std::string>());
    auto by_mult = E::base_mult(Scalar<Ristretto255>::from_u64(k));
    EXPECT_EQ(to_hex(by_mult.encode()), to_hex(expected)) << "k = " << k;
    EXPECT_TRUE(sum == by_mult) << "k = " << k;
    // The variable-time path encodes the same multiple the same way.
    auto p =
        internal::mul_small_vartime<Ristretto255>(PointOps<Ristretto255>::from_element(E::generator()), k == 0 ? 1 : k);
    if (k > 0) {
      EXPECT_EQ(to_hex(PointOps<Ristretto255>::to_element(p).encode()), to_hex(expected)) << "k = " << k;
    }
    if (k == 0) {
      EXPECT_TRUE(by_mult.is_identity());
      EXPECT_FALSE(E::decode(expected).ok()) << "decode must refuse the identity";
    } else {
      auto decoded = E::decode(expected);
      ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
      EXPECT_TRUE(*decoded == by_mult);
    }
    sum = sum + E::generator();
  }
}

TEST(Ristretto255Vectors, InvalidEncodingsAreRefused) {
  VIGIL_LOAD_SHARED_OR_SKIP(v, "ristretto255.json");
  const auto& encodings = v["invalid_encodings"]["encodings"];
  ASSERT_GE(encodings.size(), 30u);
  for (const auto& e : encodings) {
    Bytes bytes = test::hex(e.get<std::string>());
    auto r = Element<Ristretto255>::decode(bytes);
    ASSERT_FALSE(r.ok()) << e;
    EXPECT_EQ(r.error().code, ErrorCode::kBadEncoding);
    // The variable-time decoder refuses the same encodings.
    internal::EdwardsPoint p;
    std::array<std::uint8_t, 32> arr{};
    std::copy(bytes.begin(), bytes.end(), arr.begin());
    EXPECT_FALSE(internal::RistrettoPointOps::decode(p, arr)) << e;
  }
}

// libsodium 1.0.18 decodes s and s + 2^255 alike; vigil refuses the second.
TEST(Ristretto255Element, RefusesHighBitSet) {
  auto g = Element<Ristretto255>::generator().encode();
  std::array<std::uint8_t, 32> high = g;
  high[31] |= 0x80;
  ASSERT_EQ(crypto_core_ristretto255_is_valid_point(high.data()), 1) << "libsodium changed: revisit the check";
  auto r = Element<Ristretto255>::decode(high);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBadEncoding);
}

TEST(Secp256k1Element, GeneratorAndRefusals) {
  using E = Element<Secp256k1>;
  EXPECT_EQ(to_hex(E::generator().encode()), "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  auto g_enc = E::generator().encode();
  Bytes g(g_enc.begin(), g_enc.end());
  EXPECT_TRUE(E::decode(g).ok());

  auto refuse = [](Bytes b, const char* why) {
    auto r = E::decode(b);
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_EQ(r.error().code, ErrorCode::kBadEncoding) << why;
  };
  Bytes bad = g;
  bad[0] = 0x04;
  refuse(bad, "uncompressed prefix");
  bad[0] = 0x00;
  refuse(bad, "identity prefix");
  refuse(Bytes(33, 0), "all zero");
  refuse(Bytes{0x00}, "SEC1 identity");
  refuse(Bytes(g.begin(), g.end() - 1), "truncated");
  Bytes longer = g;
  longer.push_back(0);
  refuse(longer, "trailing byte");
  // x = p (not reduced) and x = p + 1.
  Bytes x_eq_p = test::hex("02fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f");
  refuse(x_eq_p, "x = p");
  // x = 5: 125 + 7 = 132 is not a square mod p, so no point has x = 5.
  Bytes off_curve(33, 0);
  off_curve[0] = 0x02;
  off_curve[32] = 5;
  refuse(off_curve, "x not on the curve");
}

TYPED_TEST(GroupTest, IdentityAndNegation) {
  using C = TypeParam;
  using E = Element<C>;
  SeededRng rng(test::test_seed() + 10);
  auto k = Scalar<C>::random(rng);
  E p = E::base_mult(k);
  EXPECT_FALSE(p.is_identity());
  EXPECT_TRUE((p - p).is_identity());
  EXPECT_TRUE((p + (-p)).is_identity());
  EXPECT_TRUE(p + E::identity() == p);
  EXPECT_TRUE(E::identity() + p == p);
  EXPECT_TRUE(E::base_mult(Scalar<C>::zero()).is_identity());
  EXPECT_TRUE(p.mult(Scalar<C>::zero()).is_identity());
  EXPECT_TRUE(E::identity().mult(k).is_identity());
  EXPECT_TRUE(E::base_mult(-k) == -p);
}

TYPED_TEST(GroupTest, ScalarMultiplicationIsLinear) {
  using C = TypeParam;
  using E = Element<C>;
  SeededRng rng(test::test_seed() + 11);
  for (int i = 0; i < 20; ++i) {
    auto a = Scalar<C>::random(rng), b = Scalar<C>::random(rng);
    E pa = E::base_mult(a), pb = E::base_mult(b);
    EXPECT_TRUE(E::base_mult(a + b) == pa + pb);
    EXPECT_TRUE(E::base_mult(a - b) == pa - pb);
    EXPECT_TRUE(pa.mult(b) == pb.mult(a));
    EXPECT_TRUE(E::generator().mult(a) == pa);
    auto decoded = E::decode(pa.encode());
    ASSERT_TRUE(decoded.ok());
    EXPECT_TRUE(*decoded == pa);
  }
}

// The variable-time formulas agree with the constant-time library on random
// points, sums, doublings, negations and round trips through encodings.
TYPED_TEST(GroupTest, VartimeArithmeticMatchesLibrary) {
  using C = TypeParam;
  using E = Element<C>;
  using Ops = PointOps<C>;
  SeededRng rng(test::test_seed() + 12);
  for (int i = 0; i < 100; ++i) {
    E a = E::base_mult(Scalar<C>::random(rng));
    E b = E::base_mult(Scalar<C>::random(rng));
    auto pa = Ops::from_element(a), pb = Ops::from_element(b);
    ASSERT_TRUE(Ops::to_element(pa) == a);
    ASSERT_TRUE(Ops::to_element(Ops::add(pa, pb)) == a + b);
    ASSERT_TRUE(Ops::to_element(Ops::add(pa, Ops::neg(pb))) == a - b);
    ASSERT_TRUE(Ops::to_element(Ops::dbl(pa)) == a + a);
    ASSERT_TRUE(Ops::to_element(Ops::add(pa, pa)) == a + a);  // addition handles equal inputs
    ASSERT_TRUE(Ops::to_element(Ops::add(pa, Ops::neg(pa))).is_identity());
    ASSERT_TRUE(Ops::equal(Ops::add(pa, pb), Ops::add(pb, pa)));
    ASSERT_FALSE(Ops::equal(pa, pb));
    std::uint64_t k = 1 + (static_cast<std::uint64_t>(i) * 7919) % 5000;
    ASSERT_TRUE(Ops::to_element(internal::mul_small_vartime<C>(pa, k)) == a.mult(Scalar<C>::from_u64(k)));
  }
}

// secp256k1's lambda, the cube root of unity mod n with lambda * (x, y) = (beta * x, y).
constexpr const char* kLambdaHex = "5363ad4cc05c30e0a5261c028812645a122e22ea20816678df02967c1b23bd72";

// Scalars whose short or split forms sit at an edge: 0, 1, -1, +-2^127,
// 2^128 and its neighbours, (q -+ 1) / 2, secp256k1's lambda and -lambda.
template <Curve C>
std::vector<Scalar<C>> edge_scalars() {
  auto from_canonical = [](const char* hex) {
    return Scalar<C>::from_limbs(internal::to_mont(internal::limbs_from_hex(hex), internal::group_order<C>()));
  };
  const Scalar<C> two_127 = from_canonical("80000000000000000000000000000000");
  const Scalar<C> two_128 = from_canonical("100000000000000000000000000000000");
  const Scalar<C> half = Scalar<C>::from_u64(2).invert_vartime().value();  // (q + 1) / 2
  const Scalar<C> lambda = from_canonical(kLambdaHex);
  std::vector<Scalar<C>> out;
  out.push_back(Scalar<C>::zero());
  out.push_back(Scalar<C>::one());
  out.push_back(-Scalar<C>::one());
  out.push_back(two_127.clone());
  out.push_back(-two_127);
  out.push_back(two_128.clone());
  out.push_back(two_128 - Scalar<C>::one());
  out.push_back(two_128 + Scalar<C>::one());
  out.push_back(-two_128);
  out.push_back(half.clone());
  out.push_back(-half);  // (q - 1) / 2
  out.push_back(lambda.clone());
  out.push_back(-lambda);
  out.push_back(lambda + Scalar<C>::one());
  return out;
}

TYPED_TEST(GroupTest, MultiScalarMultMatchesNaiveSum) {
  using C = TypeParam;
  using E = Element<C>;
  SeededRng rng(test::test_seed() + 13);
  const std::vector<Scalar<C>> edges = edge_scalars<C>();
  for (std::size_t n : {0u, 1u, 2u, 3u, 5u, 6u, 18u, 33u, 90u}) {
    std::vector<Scalar<C>> scalars;
    std::vector<E> points;
    E expected = E::identity();
    for (std::size_t i = 0; i < n; ++i) {
      scalars.push_back(i % 3 == 0 ? edges[(i / 3 + n) % edges.size()].clone() : Scalar<C>::random(rng));
      // Now and then the identity, the generator, a repeated point, or the
      // negation of the previous point with the same scalar.
      if (i % 7 == 4) {
        points.push_back(E::identity());
      } else if (i % 7 == 5) {
        points.push_back(E::generator());
      } else if (i % 11 == 6) {
        points.push_back(points[i - 1]);
      } else if (i % 11 == 8) {
        points.push_back(-points[i - 1]);
        scalars.back() = scalars[i - 1].clone();
      } else {
        points.push_back(E::base_mult(Scalar<C>::random(rng)));
      }
      expected = expected + points.back().mult(scalars.back());
    }
    auto got = multi_scalar_mult_vartime<C>(scalars, points);
    ASSERT_TRUE(got.ok());
    EXPECT_TRUE(*got == expected) << "n = " << n;
  }
  // Each edge scalar alone, and terms that cancel to the identity.
  const E p = E::base_mult(Scalar<C>::random(rng));
  for (const auto& k : edges) {
    auto single = multi_scalar_mult_vartime<C>(std::span(&k, 1), std::span(&p, 1));
    ASSERT_TRUE(single.ok());
    EXPECT_TRUE(*single == p.mult(k));
    std::vector<Scalar<C>> pair;
    pair.push_back(k.clone());
    pair.push_back(k.clone());
    const std::vector<E> opposite = {p, -p};
    EXPECT_TRUE(multi_scalar_mult_vartime<C>(pair, opposite)->is_identity());
    // The generator's kept table, with its scalars merged to zero.
    pair[1] = -k;
    const std::vector<E> generator_twice = {E::generator(), E::generator()};
    EXPECT_TRUE(multi_scalar_mult_vartime<C>(pair, generator_twice)->is_identity());
    auto with_generator = multi_scalar_mult_vartime<C>(std::span(&k, 1), std::span(&generator_twice[0], 1));
    EXPECT_TRUE(*with_generator == E::base_mult(k));
  }
  std::vector<Scalar<C>> one;
  one.push_back(Scalar<C>::one());
  EXPECT_EQ(multi_scalar_mult_vartime<C>(one, std::span<const E>{}).error().code, ErrorCode::kInvalidInput);
}

// k = k1 + lambda * k2 with both halves below 2^128, on edge and random
// scalars; lambda * P is (beta * x, y).
TEST(Secp256k1Endomorphism, SplitsEveryScalarIntoHalves) {
  using C = Secp256k1;
  using Ops = PointOps<C>;
  using Order = internal::Fp<internal::kSecp256k1Order>;
  SeededRng rng(test::test_seed() + 17);
  std::vector<Scalar<C>> scalars = edge_scalars<C>();
  for (int i = 0; i < 2000; ++i) scalars.push_back(Scalar<C>::random(rng));
  const Order lambda = Order::from_hex(kLambdaHex);
  for (const auto& k : scalars) {
    const internal::Limbs canonical = internal::from_mont(k.limbs(), internal::kSecp256k1Order);
    std::array<internal::SignedLimbs, 2> parts{};
    ASSERT_EQ(Ops::decompose(canonical, parts), 2u);
    Order sum = Order::zero();
    for (std::size_t j = 0; j < 2; ++j) {
      ASSERT_EQ(parts[j].abs[2] | parts[j].abs[3], 0u) << "half " << j << " is not below 2^128";
      Order half = Order::from_canonical(parts[j].abs);
      if (parts[j].negative) half = -half;
      sum = sum + (j == 0 ? half : half * lambda);
    }
    ASSERT_EQ(sum.canonical(), canonical);
  }
  const Element<C> p = Element<C>::base_mult(Scalar<C>::random(rng));
  internal::AffinePoint affine{};
  ASSERT_TRUE(Ops::to_affine(Ops::from_element(p), affine.x, affine.y));
  EXPECT_TRUE(Ops::to_element(Ops::from_entry(Ops::endo_entry(affine))) == p.mult(Scalar<C>::from_limbs(lambda.v)));
}

// Mixed additions and the batch conversion to affine agree with the library.
TEST(Secp256k1Point, MixedAdditionAndBatchAffine) {
  using C = Secp256k1;
  using E = Element<C>;
  using Ops = PointOps<C>;
  SeededRng rng(test::test_seed() + 18);
  std::vector<E> elements;
  std::vector<Ops::Point> points;
  for (int i = 0; i < 20; ++i) {
    elements.push_back(E::base_mult(Scalar<C>::random(rng)));
    // Jacobian points with z != 1, by way of a doubling and a subtraction.
    auto p = Ops::from_element(elements.back());
    points.push_back(Ops::add(Ops::dbl(p), Ops::neg(p)));
  }
  std::vector<Ops::Entry> entries(points.size());
  Ops::to_entries(points, entries);
  for (std::size_t i = 0; i < points.size(); ++i) {
    ASSERT_TRUE(Ops::to_element(Ops::from_entry(entries[i])) == elements[i]);
    ASSERT_TRUE(Ops::equal_entry(points[i], entries[i]));
    ASSERT_FALSE(Ops::equal_entry(points[i], entries[(i + 1) % entries.size()]));
    const std::size_t j = (i + 1) % points.size();
    ASSERT_TRUE(Ops::to_element(Ops::add_entry(points[i], entries[j])) == elements[i] + elements[j]);
    ASSERT_TRUE(Ops::to_element(Ops::add_entry(points[i], entries[i])) == elements[i] + elements[i]);
    ASSERT_TRUE(Ops::to_element(Ops::add_entry(points[i], Ops::neg_entry(entries[i]))).is_identity());
    ASSERT_TRUE(Ops::to_element(Ops::add_entry(Ops::identity(), entries[i])) == elements[i]);
  }
}

TEST(Ristretto255Element, VartimeDecodeMatchesLibsodiumOnRandomBytes) {
  SeededRng rng(test::test_seed() + 14);
  int valid = 0;
  for (int i = 0; i < 3000; ++i) {
    std::array<std::uint8_t, 32> b{};
    rng.fill(b);
    if (i % 3 == 0) b[0] &= 0xfe;  // even s: more likely to decode
    if (i % 5 == 0) b[31] &= 0x7f;
    internal::EdwardsPoint p;
    bool ours = internal::RistrettoPointOps::decode(p, b);
    // libsodium 1.0.18 ignores bit 255, which RFC 9496 requires to be zero.
    bool theirs = crypto_core_ristretto255_is_valid_point(b.data()) == 1 && (b[31] & 0x80) == 0;
    ASSERT_EQ(ours, theirs) << to_hex(b);
    if (ours) {
      ++valid;
      ASSERT_EQ(internal::RistrettoPointOps::encode(p), b);
    }
  }
  EXPECT_GT(valid, 50);
}

TYPED_TEST(GroupTest, DecodeRandomBytesNeverCrashes) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 15);
  for (int i = 0; i < 5000; ++i) {
    std::uint8_t len_byte = 0;
    rng.fill(std::span<std::uint8_t>(&len_byte, 1));
    Bytes b(i % 4 == 0 ? len_byte % 70 : C::kElementBytes);
    rng.fill(b);
    if (!b.empty() && i % 2 == 0 && C::kElementBytes == 33) b[0] = static_cast<std::uint8_t>(2 + (i & 1));
    auto e = Element<C>::decode(b);
    if (e.ok()) {
      EXPECT_FALSE(e->is_identity());
      auto enc = e->encode();
      EXPECT_EQ(Bytes(enc.begin(), enc.end()), b);
    } else {
      EXPECT_EQ(e.error().code, ErrorCode::kBadEncoding);
    }
    auto s = Scalar<C>::decode(b);
    if (!s.ok()) {
      EXPECT_EQ(s.error().code, ErrorCode::kBadEncoding);
    }
  }
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

// The radix-2^51 field against the generic Montgomery code for the same prime.
TEST(Fe25519, MatchesMontgomeryReference) {
  using internal::Fe25519;
  using internal::Fe25519Montgomery;
  SeededRng rng(test::test_seed() + 16);
  auto random_canonical = [&] {
    std::array<std::uint8_t, 32> b{};
    rng.fill(b);
    b[31] &= 0x7f;
    auto limbs = internal::limbs_from_le(b);
    if (!internal::limbs_less_than(limbs, internal::kP25519.m)) limbs[0] = 7;  // keep it below p
    return limbs;
  };
  const internal::Limbs edge[] = {{0, 0, 0, 0},
                                  {1, 0, 0, 0},
                                  {0xffffffffffffffec, 0xffffffffffffffff, 0xffffffffffffffff, 0x7fffffffffffffff},
                                  {0xffffffffffffffeb, 0xffffffffffffffff, 0xffffffffffffffff, 0x7fffffffffffffff},
                                  {19, 0, 0, 0}};
  for (int i = 0; i < 2000; ++i) {
    internal::Limbs x = i < 5 ? edge[i] : random_canonical();
    internal::Limbs y = i < 5 ? edge[4 - i] : random_canonical();
    Fe25519 a = Fe25519::from_canonical(x), b = Fe25519::from_canonical(y);
    Fe25519Montgomery ma = Fe25519Montgomery::from_canonical(x), mb = Fe25519Montgomery::from_canonical(y);
    ASSERT_EQ(a.canonical(), x);
    ASSERT_EQ((a * b).canonical(), (ma * mb).canonical());
    ASSERT_EQ((a + b).canonical(), (ma + mb).canonical());
    ASSERT_EQ((a - b).canonical(), (ma - mb).canonical());
    ASSERT_EQ((-a).canonical(), (-ma).canonical());
    ASSERT_EQ(a.sq().canonical(), (ma * ma).canonical());
    ASSERT_EQ(a.invert().canonical(), ma.invert().canonical());
    ASSERT_EQ(a.pow_p58().canonical(),
              ma.pow(internal::limbs_from_hex("0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd"))
                  .canonical());
    // Long chains stay within the limb bounds.
    Fe25519 c = a;
    Fe25519Montgomery mc = ma;
    for (int k = 0; k < 20; ++k) {
      c = (c - b) * (c + b) - a;
      mc = (mc - mb) * (mc + mb) - ma;
    }
    ASSERT_EQ(c.canonical(), mc.canonical());
  }
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

template <Curve C>
class PrecomputedTest : public ::testing::Test {};
TYPED_TEST_SUITE(PrecomputedTest, test::AllCurves);

// The table method agrees with libsodium / libsecp256k1 on random bases and
// scalars, and on the edge scalars 0, 1, 2, 8, 16, q - 1.
TYPED_TEST(PrecomputedTest, MatchesPlainMultiplication) {
  using C = TypeParam;
  using E = Element<C>;
  SeededRng rng(test::test_seed() + 17);
  auto from_canonical = [](const char* hex) {
    return Scalar<C>::from_limbs(internal::to_mont(internal::limbs_from_hex(hex), internal::group_order<C>()));
  };
  for (int b = 0; b < 8; ++b) {
    const E base = b == 0 ? E::generator() : b == 1 ? -E::generator() : E::base_mult(Scalar<C>::random(rng));
    const PrecomputedElement<C> pre(base);
    std::vector<Scalar<C>> scalars;
    for (std::uint64_t k : {0, 1, 2, 8, 16, 255, 256}) scalars.push_back(Scalar<C>::from_u64(k));
    for (auto& k : edge_scalars<C>()) scalars.push_back(std::move(k));
    // Radix-16 digits all 7, all -8 after recoding, and alternating.
    scalars.push_back(from_canonical("0777777777777777777777777777777777777777777777777777777777777777"));
    scalars.push_back(from_canonical("0888888888888888888888888888888888888888888888888888888888888888"));
    scalars.push_back(from_canonical("08f08f08f08f08f08f08f08f08f08f08f08f08f08f08f08f08f08f08f08f08f0"));
    for (int i = 0; i < 25; ++i) scalars.push_back(Scalar<C>::random(rng));
    for (const auto& k : scalars) {
      ASSERT_TRUE(pre.mult(k) == base.mult(k)) << to_hex(k.encode());
      const auto other = E::base_mult(Scalar<C>::random(rng));
      const auto j = Scalar<C>::random(rng);
      ASSERT_TRUE(pre.mult_add_vartime(k, j, other) == base.mult(k) + other.mult(j));
    }
  }
  const PrecomputedElement<C> identity(E::identity());
  EXPECT_TRUE(identity.mult(Scalar<C>::random(rng)).is_identity());

  // Several products at once, with an identity product among them.
  const PrecomputedElement<C> other(E::base_mult(Scalar<C>::random(rng)));
  const auto& g = PrecomputedElement<C>::generator();
  const Scalar<C> a = Scalar<C>::random(rng), b = -Scalar<C>::random(rng), zero;
  const auto each = PrecomputedElement<C>::mult_each({{g, a}, {other, b}, {g, zero}, {identity, a}, {other, a}});
  ASSERT_EQ(each.size(), 5u);
  EXPECT_TRUE(each[0] == E::base_mult(a));
  EXPECT_TRUE(each[1] == other.element().mult(b));
  EXPECT_TRUE(each[2].is_identity());
  EXPECT_TRUE(each[3].is_identity());
  EXPECT_TRUE(each[4] == other.element().mult(a));
  EXPECT_TRUE(PrecomputedElement<C>::mult_each({}).empty());
}

// The complete formulas against the library on every kind of input pair:
// distinct, equal, opposite, the identity on either side, and secp256k1's
// y1 = -y2 with x1 != x2 (P and -lambda P), which breaks unified formulas.
TEST(Secp256k1CompleteFormulas, MatchTheLibraryOnEveryCase) {
  using C = Secp256k1;
  using E = Element<C>;
  using internal::ProjectivePoint;
  using internal::SecpCtOps;
  SeededRng rng(test::test_seed() + 19);
  auto to_element = [](const ProjectivePoint& p) {
    internal::AffinePoint a;
    return SecpCtOps::to_affine(p, a) ? PointOps<C>::to_element(a) : E::identity();
  };
  // A projective point with a random z, or the identity.
  auto projective = [&](const E& e) {
    if (e.is_identity()) return SecpCtOps::identity();
    internal::AffinePoint a;
    EXPECT_TRUE(PointOps<C>::to_affine(PointOps<C>::from_element(e), a.x, a.y));
    std::array<std::uint8_t, 32> z_bytes{};
    rng.fill(z_bytes);
    const internal::FeSecp z = internal::FeSecp::from_canonical(internal::limbs_from_le(z_bytes));
    return ProjectivePoint{a.x * z, a.y * z, z};
  };
  const Scalar<C> lambda =
      Scalar<C>::from_limbs(internal::to_mont(internal::limbs_from_hex(kLambdaHex), internal::kSecp256k1Order));
  for (int i = 0; i < 50; ++i) {
    const E a = E::base_mult(Scalar<C>::random(rng));
    const E b = E::base_mult(Scalar<C>::random(rng));
    const std::pair<E, E> cases[] = {{a, b},
                                     {a, a},
                                     {a, -a},
                                     {a, E::identity()},
                                     {E::identity(), b},
                                     {E::identity(), E::identity()},
                                     {a, -(a.mult(lambda))}};
    for (const auto& [p, q] : cases) {
      ASSERT_TRUE(to_element(SecpCtOps::add(projective(p), projective(q))) == p + q);
      ASSERT_TRUE(to_element(SecpCtOps::dbl(projective(p))) == p + p);
      if (!q.is_identity()) {
        internal::AffinePoint qa;
        ASSERT_TRUE(PointOps<C>::to_affine(PointOps<C>::from_element(q), qa.x, qa.y));
        ASSERT_TRUE(to_element(SecpCtOps::add_affine(projective(p), qa)) == p + q);
      }
    }
  }
}

}  // namespace
}  // namespace vigil
