// Shamir sharing, Feldman verification, Lagrange interpolation and the
// trusted dealer: RFC 9591 vectors, randomised properties with a replayable
// seed, and every refusal with its exact error.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "support/test_support.h"
#include "vigil/dealer.h"
#include "vigil/shamir.h"

namespace vigil {
namespace {

template <Curve C>
Scalar<C> scalar_from_hex(const std::string& hex) {
  auto s = Scalar<C>::decode(test::hex(hex));
  EXPECT_TRUE(s.ok()) << hex;
  return s.ok() ? std::move(s).value() : Scalar<C>();
}

// RFC 9591 Appendix E: the trusted-dealer split of each ciphersuite.
template <Curve C>
void check_frost_vectors(const nlohmann::json& v) {
  const auto& in = v["inputs"];
  const std::size_t n = std::stoul(v["config"]["MAX_PARTICIPANTS"].get<std::string>());
  const std::size_t t = std::stoul(v["config"]["MIN_PARTICIPANTS"].get<std::string>());
  std::vector<Scalar<C>> coefficients;
  coefficients.push_back(scalar_from_hex<C>(in["group_secret_key"]));
  for (const auto& c : in["share_polynomial_coefficients"]) coefficients.push_back(scalar_from_hex<C>(c));
  ASSERT_EQ(coefficients.size(), t);
  auto polynomial = Polynomial<C>::from_coefficients(std::move(coefficients));
  ASSERT_TRUE(polynomial.ok());
  auto d = deal_polynomial(*polynomial, n);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(to_hex(d->group_public_key().encode()), in["group_public_key"].get<std::string>());
  ASSERT_TRUE(verify_deal(*d).ok());

  for (const auto& p : in["participant_shares"]) {
    auto index = p["identifier"].get<ParticipantIndex>();
    EXPECT_EQ(to_hex(d->shares[index - 1].secret_share.encode()), p["participant_share"].get<std::string>());
  }
  // The signing participants' shares (the vectors' own) reconstruct the key.
  std::vector<SecretShare<C>> subset;
  for (const auto& index : in["participant_list"]) {
    auto i = index.get<ParticipantIndex>();
    for (const auto& p : in["participant_shares"]) {
      if (p["identifier"] == i) subset.push_back({i, scalar_from_hex<C>(p["participant_share"])});
    }
  }
  auto secret = interpolate<C>(subset);
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(to_hex(secret->encode()), in["group_secret_key"].get<std::string>());
}

TEST(FrostVectors, Ristretto255TrustedDealer) {
  VIGIL_LOAD_SHARED_OR_SKIP(v, "frost/frost-ristretto255-sha512.json");
  check_frost_vectors<Ristretto255>(v);
}

TEST(FrostVectors, Secp256k1TrustedDealer) {
  VIGIL_LOAD_SHARED_OR_SKIP(v, "frost/frost-secp256k1-sha256.json");
  check_frost_vectors<Secp256k1>(v);
}

template <Curve C>
class ShamirTest : public ::testing::Test {};
TYPED_TEST_SUITE(ShamirTest, test::AllCurves);

TYPED_TEST(ShamirTest, RandomDealsReconstructWithAnyTSharesAndNotWithFewer) {
  using C = TypeParam;
  const std::uint64_t seed = test::test_seed();
  SeededRng rng(seed + 30);
  std::mt19937_64 pick(seed + 31);
  for (int round = 0; round < 12; ++round) {
    const std::size_t n = 1 + pick() % 24;
    const std::size_t t = 1 + pick() % n;
    SCOPED_TRACE("n = " + std::to_string(n) + ", t = " + std::to_string(t) + ", VIGIL_SEED = " + std::to_string(seed));
    auto polynomial = Polynomial<C>::random(rng, t);
    ASSERT_TRUE(polynomial.ok());
    auto d = deal_polynomial(*polynomial, n);
    ASSERT_TRUE(d.ok());
    ASSERT_TRUE(verify_deal(*d).ok());
    EXPECT_TRUE(d->group_public_key() == Element<C>::base_mult(polynomial->secret()));
    ASSERT_EQ(d->commitment.threshold(), t);

    for (const auto& s : d->shares) {
      ASSERT_TRUE(d->commitment.verify_share(s.index, s.secret_share).ok()) << "index " << s.index;
      ASSERT_TRUE(*d->commitment.public_share(s.index) == s.public_share);
    }

    std::vector<ParticipantIndex> order(n);
    std::iota(order.begin(), order.end(), 1);
    for (int trial = 0; trial < 4; ++trial) {
      std::shuffle(order.begin(), order.end(), pick);
      std::vector<SecretShare<C>> subset;
      std::vector<ParticipantIndex> indices;
      std::vector<Element<C>> publics;
      for (std::size_t k = 0; k < t; ++k) {
        subset.push_back({order[k], d->shares[order[k] - 1].secret_share.clone()});
        indices.push_back(order[k]);
        publics.push_back(d->shares[order[k] - 1].public_share);
      }
      auto secret = interpolate<C>(subset);
      ASSERT_TRUE(secret.ok());
      EXPECT_TRUE(*secret == polynomial->secret());
      auto key = interpolate_in_exponent<C>(indices, publics);
      ASSERT_TRUE(key.ok());
      EXPECT_TRUE(*key == d->group_public_key());
      if (t > 1) {
        // t - 1 shares interpolate to something else (f has degree t - 1 and
        // random coefficients, so equality has probability 1/q).
        subset.pop_back();
        auto wrong = interpolate<C>(subset);
        ASSERT_TRUE(wrong.ok());
        EXPECT_FALSE(*wrong == polynomial->secret());
      }
    }
  }
}

TYPED_TEST(ShamirTest, BadSharesAreRefusedWithTheRightError) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 32);
  auto d = deal<C>(rng, 7, 4);
  ASSERT_TRUE(d.ok());
  const auto& share = d->shares[2];  // index 3

  // A corrupted share.
  auto corrupted = share.secret_share + Scalar<C>::one();
  auto r = d->commitment.verify_share(3, corrupted);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kVerificationFailed);
  EXPECT_EQ(r.error().party, 3u);

  // The right value under a wrong index.
  r = d->commitment.verify_share(4, share.secret_share);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kVerificationFailed);
  EXPECT_EQ(r.error().party, 4u);

  // Index zero would be the secret itself; indices past the maximum are refused.
  r = d->commitment.verify_share(0, share.secret_share);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(d->commitment.verify_share(kMaxParticipants + 1, share.secret_share).error().code,
            ErrorCode::kInvalidInput);
  EXPECT_FALSE(d->commitment.public_share(0).ok());

  // A public share that does not match.
  EXPECT_EQ(d->commitment.verify_public_share(3, d->shares[3].public_share).error().code,
            ErrorCode::kVerificationFailed);

  // Duplicate and zero indices in interpolation.
  std::vector<SecretShare<C>> dup;
  dup.push_back({1, d->shares[0].secret_share.clone()});
  dup.push_back({2, d->shares[1].secret_share.clone()});
  dup.push_back({2, d->shares[1].secret_share.clone()});
  dup.push_back({4, d->shares[3].secret_share.clone()});
  auto s = interpolate<C>(dup);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(s.error().party, 2u);
  dup[2].index = 0;
  s = interpolate<C>(dup);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(s.error().party, 0u);
  EXPECT_EQ(interpolate<C>(std::span<const SecretShare<C>>{}).error().code, ErrorCode::kInvalidInput);
}

TYPED_TEST(ShamirTest, CommitmentVectorMustHaveExactlyTEntries) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 33);
  auto d = deal<C>(rng, 5, 3);
  ASSERT_TRUE(d.ok());
  std::vector<Element<C>> elements(d->commitment.elements().begin(), d->commitment.elements().end());

  EXPECT_TRUE(FeldmanCommitment<C>::create(elements, 3).ok());
  auto shorter = elements;
  shorter.pop_back();
  auto r = FeldmanCommitment<C>::create(shorter, 3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  auto longer = elements;
  longer.push_back(Element<C>::generator());
  r = FeldmanCommitment<C>::create(longer, 3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  auto with_identity = elements;
  with_identity[1] = Element<C>::identity();
  EXPECT_EQ(FeldmanCommitment<C>::create(with_identity, 3).error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(FeldmanCommitment<C>::create({}, 0).error().code, ErrorCode::kInvalidInput);
}

TYPED_TEST(ShamirTest, ThresholdBounds) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 34);
  EXPECT_EQ(deal<C>(rng, 3, 4).error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(deal<C>(rng, 3, 0).error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(deal<C>(rng, 0, 0).error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(deal<C>(rng, kMaxParticipants + 1, 2).error().code, ErrorCode::kInvalidInput);
  auto one = deal<C>(rng, 1, 1);
  ASSERT_TRUE(one.ok());
  EXPECT_TRUE(one->shares[0].public_share == one->group_public_key());
}

TYPED_TEST(ShamirTest, LagrangeMatchesDefinition) {
  using C = TypeParam;
  std::mt19937_64 pick(test::test_seed() + 35);
  for (int round = 0; round < 10; ++round) {
    std::vector<ParticipantIndex> indices;
    while (indices.size() < 1 + pick() % 12) {
      auto i = static_cast<ParticipantIndex>(1 + pick() % kMaxParticipants);
      if (std::find(indices.begin(), indices.end(), i) == indices.end()) indices.push_back(i);
    }
    for (ParticipantIndex at : {ParticipantIndex{0}, ParticipantIndex{77}, indices[0]}) {
      auto lambda = lagrange_coefficients<C>(indices, at);
      ASSERT_TRUE(lambda.ok());
      for (std::size_t i = 0; i < indices.size(); ++i) {
        Scalar<C> num = Scalar<C>::one(), den = Scalar<C>::one();
        for (std::size_t j = 0; j < indices.size(); ++j) {
          if (j == i) continue;
          num *= Scalar<C>::from_u64(at) - Scalar<C>::from_u64(indices[j]);
          den *= Scalar<C>::from_u64(indices[i]) - Scalar<C>::from_u64(indices[j]);
        }
        EXPECT_TRUE((*lambda)[i] == num * *den.invert_vartime());
      }
    }
  }
}

TYPED_TEST(ShamirTest, SealedSharesOpenOnlyForTheirRecipientAndIndex) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 36);
  auto d = deal<C>(rng, 3, 2);
  ASSERT_TRUE(d.ok());
  auto recipient = x25519_generate(rng);
  auto other = x25519_generate(rng);
  SecretShare<C> share{2, d->shares[1].secret_share.clone()};
  auto sealed = seal_share<C>(rng, recipient.public_key, d->group_public_key(), share);
  ASSERT_TRUE(sealed.ok());

  auto opened = open_share<C>(recipient.secret_key.span(), *sealed, d->commitment, 2);
  ASSERT_TRUE(opened.ok());
  EXPECT_TRUE(opened->value == share.value);
  EXPECT_EQ(open_share<C>(other.secret_key.span(), *sealed, d->commitment, 2).error().code,
            ErrorCode::kVerificationFailed);
  EXPECT_EQ(open_share<C>(recipient.secret_key.span(), *sealed, d->commitment, 3).error().code,
            ErrorCode::kVerificationFailed);
  auto other_deal = deal<C>(rng, 3, 2);
  EXPECT_EQ(open_share<C>(recipient.secret_key.span(), *sealed, other_deal->commitment, 2).error().code,
            ErrorCode::kVerificationFailed);
}

}  // namespace
}  // namespace vigil
