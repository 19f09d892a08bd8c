// The DKG state machine in-process: n participants exchange messages through
// this test's hands, parameterised over (n, t), then one misbehaving
// participant per test. Honest participants must agree on one key and
// exclude exactly the faulty dealer, or abort naming it.
#include <gtest/gtest.h>

#include <functional>

#include "support/dkg_phases.h"
#include "support/test_support.h"
#include "vigil/dkg.h"

namespace vigil {
namespace {

template <Curve C>
struct Behaviour {
  bool silent = false;                                 // sends nothing in phase 1
  std::function<void(DkgDealing<C>&)> tamper_dealing;  // to everyone
  ParticipantIndex bad_share_to = 0;                   // garbage share to this participant
  bool wrong_justification = false;                    // reveals a wrong share when accused
  bool no_justification = false;                       // ignores complaints
  ParticipantIndex equivocate_to = 0;                  // a different, consistent dealing to this one
  bool replay_other_session = false;                   // its dealing comes from another session
};

template <Curve C>
struct Outcome {
  std::vector<std::optional<Result<DkgResult<C>>>> results;  // by index - 1; nullopt for misbehaving ones
  Status confirmations;
};

template <Curve C>
Outcome<C> run_dkg(std::size_t n, std::size_t t, std::uint64_t seed,
                   std::map<ParticipantIndex, Behaviour<C>> bad = {}) {
  SeededRng rng(seed);
  DkgParameters params;
  rng.fill(params.session_id);
  params.parties = n;
  params.threshold = t;
  std::vector<X25519KeyPair> keys;
  std::vector<X25519PublicKey> pubs;
  for (std::size_t i = 0; i < n; ++i) {
    keys.push_back(x25519_generate(rng));
    pubs.push_back(keys.back().public_key);
  }
  std::vector<DkgParticipant<C>> parts;
  for (std::size_t i = 0; i < n; ++i) {
    parts.push_back(
        DkgParticipant<C>::create(params, static_cast<ParticipantIndex>(i + 1), keys[i].secret_key.clone(), pubs)
            .value());
  }
  auto behaviour = [&](ParticipantIndex i) { return bad.count(i) ? bad.at(i) : Behaviour<C>{}; };

  // Phase 1.
  for (std::size_t i = 0; i < n; ++i) {
    const ParticipantIndex dealer = static_cast<ParticipantIndex>(i + 1);
    auto b = behaviour(dealer);
    auto deal = parts[i].deal(rng).value();
    if (b.silent) continue;
    if (b.tamper_dealing) b.tamper_dealing(deal.dealing);
    if (b.replay_other_session) {
      DkgParameters other = params;
      other.session_id[0] ^= 1;
      auto ghost = DkgParticipant<C>::create(other, dealer, keys[i].secret_key.clone(), pubs).value();
      deal.dealing = ghost.deal(rng).value().dealing;
    }
    std::optional<typename DkgParticipant<C>::Deal> alternative;
    if (b.equivocate_to) {
      auto twin = DkgParticipant<C>::create(params, dealer, keys[i].secret_key.clone(), pubs).value();
      alternative = twin.deal(rng).value();
    }
    for (std::size_t j = 0; j < n; ++j) {
      if (j == i) continue;
      const ParticipantIndex to = static_cast<ParticipantIndex>(j + 1);
      const bool twin = alternative && to == b.equivocate_to;
      EXPECT_TRUE(parts[j].receive_dealing(twin ? alternative->dealing : deal.dealing).ok());
    }
    for (auto& s : deal.shares) {
      if (alternative && s.recipient == b.equivocate_to) {
        for (auto& a : alternative->shares) {
          if (a.recipient == s.recipient) s = a;
        }
      }
      if (s.recipient == b.bad_share_to) s.sealed[40] ^= 1;
      EXPECT_TRUE(parts[s.recipient - 1].receive_share(s).ok());
    }
  }
  // Phase 2 and 3.
  test::run_dispute_phases<C>(
      parts, [&](std::size_t i) { return behaviour(static_cast<ParticipantIndex>(i + 1)).no_justification; },
      [&](std::size_t i, DkgJustification<C>& j) {
        if (behaviour(static_cast<ParticipantIndex>(i + 1)).wrong_justification) j.share = j.share + Scalar<C>::one();
      });
  // Phase 4 and the confirmation round among the honest.
  Outcome<C> out;
  std::vector<DkgConfirmation> confirmations;
  for (std::size_t i = 0; i < n; ++i) {
    if (bad.count(static_cast<ParticipantIndex>(i + 1))) {
      out.results.push_back(std::nullopt);
      continue;
    }
    out.results.push_back(parts[i].finish());
    if (out.results.back()->ok()) confirmations.push_back((*out.results.back())->confirmation);
  }
  out.confirmations = dkg_check_confirmations(confirmations);
  return out;
}

// Every honest participant finished with the same key, qualified set and
// public shares, and any t of their shares reconstruct the key.
template <Curve C>
void expect_agreement(const Outcome<C>& out, std::size_t t, const std::vector<ParticipantIndex>& expected_excluded) {
  ASSERT_TRUE(out.confirmations.ok()) << out.confirmations.error().to_string();
  const DkgResult<C>* first = nullptr;
  std::vector<SecretShare<C>> shares;
  for (const auto& r : out.results) {
    if (!r) continue;
    ASSERT_TRUE(r->ok()) << r->error().to_string();
    const auto& res = r->value();
    if (!first) first = &res;
    EXPECT_TRUE(res.group_key == first->group_key);
    EXPECT_EQ(res.qualified, first->qualified);
    EXPECT_EQ(res.excluded, expected_excluded);
    for (std::size_t i = 0; i < res.public_shares.size(); ++i)
      EXPECT_TRUE(res.public_shares[i] == first->public_shares[i]);
    EXPECT_TRUE(Element<C>::base_mult(res.share.value) == res.public_shares[res.share.index - 1]);
    shares.push_back(res.share.clone());
  }
  ASSERT_NE(first, nullptr);
  ASSERT_GE(shares.size(), t);
  shares.resize(t);
  auto secret = interpolate<C>(shares);
  ASSERT_TRUE(secret.ok());
  EXPECT_TRUE(Element<C>::base_mult(*secret) == first->group_key);
}

template <Curve C>
class DkgTest : public ::testing::Test {};
TYPED_TEST_SUITE(DkgTest, test::AllCurves);

TYPED_TEST(DkgTest, HonestRunsAgreeForManySizes) {
  using C = TypeParam;
  for (auto [n, t] : std::vector<std::pair<std::size_t, std::size_t>>{{1, 1}, {2, 2}, {3, 2}, {7, 5}, {16, 11}}) {
    SCOPED_TRACE("n = " + std::to_string(n) + ", t = " + std::to_string(t));
    expect_agreement(run_dkg<C>(n, t, test::test_seed() + n), t, {});
  }
}

TYPED_TEST(DkgTest, BadShareToOneNodeIsJustifiedAndTheDealerStays) {
  using C = TypeParam;
  Behaviour<C> b;
  b.bad_share_to = 3;
  // The share is damaged in transit and the dealer answers the complaint
  // honestly, so it stays qualified (its own result is not checked here).
  auto out = run_dkg<C>(5, 3, test::test_seed() + 200, {{2, b}});
  expect_agreement(out, 3, {});
}

TYPED_TEST(DkgTest, WrongOrMissingJustificationExcludesTheDealer) {
  using C = TypeParam;
  Behaviour<C> wrong;
  wrong.bad_share_to = 3;
  wrong.wrong_justification = true;
  expect_agreement(run_dkg<C>(5, 3, test::test_seed() + 201, {{2, wrong}}), 3, {2});
  Behaviour<C> silent;
  silent.bad_share_to = 4;
  silent.no_justification = true;
  expect_agreement(run_dkg<C>(5, 3, test::test_seed() + 202, {{1, silent}}), 3, {1});
}

TYPED_TEST(DkgTest, BadProofOfKnowledgeIsExcluded) {
  using C = TypeParam;
  Behaviour<C> b;
  b.tamper_dealing = [](DkgDealing<C>& d) { d.proof.response = d.proof.response + Scalar<C>::one(); };
  expect_agreement(run_dkg<C>(5, 3, test::test_seed() + 203, {{4, b}}), 3, {4});
  // A proof whose nonce commitment is moved, or is the identity.
  Behaviour<C> moved;
  moved.tamper_dealing = [](DkgDealing<C>& d) { d.proof.commitment = d.proof.commitment + Element<C>::generator(); };
  Behaviour<C> identity;
  identity.tamper_dealing = [](DkgDealing<C>& d) { d.proof.commitment = Element<C>::identity(); };
  expect_agreement(run_dkg<C>(5, 3, test::test_seed() + 240, {{1, moved}, {5, identity}}), 3, {1, 5});
}

TYPED_TEST(DkgTest, CommitmentVectorOfWrongLengthIsExcluded) {
  using C = TypeParam;
  Behaviour<C> longer;
  longer.tamper_dealing = [](DkgDealing<C>& d) { d.commitments.push_back(Element<C>::generator()); };
  expect_agreement(run_dkg<C>(5, 3, test::test_seed() + 204, {{2, longer}}), 3, {2});
  Behaviour<C> shorter;
  shorter.tamper_dealing = [](DkgDealing<C>& d) { d.commitments.pop_back(); };
  expect_agreement(run_dkg<C>(5, 3, test::test_seed() + 205, {{5, shorter}}), 3, {5});
}

TYPED_TEST(DkgTest, SilentDealerIsExcludedAndTooManyAbort) {
  using C = TypeParam;
  Behaviour<C> quiet;
  quiet.silent = true;
  expect_agreement(run_dkg<C>(5, 3, test::test_seed() + 206, {{3, quiet}}), 3, {3});
  // Three of five silent leaves two dealers: fewer than t = 3.
  auto out = run_dkg<C>(5, 3, test::test_seed() + 207, {{1, quiet}, {2, quiet}, {3, quiet}});
  for (const auto& r : out.results) {
    if (!r) continue;
    ASSERT_FALSE(r->ok());
    EXPECT_EQ(r->error().code, ErrorCode::kProtocolAbort);
    EXPECT_NE(r->error().message.find("2 dealers qualified, 3 needed"), std::string::npos) << r->error().message;
  }
}

TYPED_TEST(DkgTest, EquivocationIsCaughtByTheConfirmationRound) {
  using C = TypeParam;
  Behaviour<C> b;
  b.equivocate_to = 4;
  auto out = run_dkg<C>(5, 3, test::test_seed() + 208, {{2, b}});
  ASSERT_FALSE(out.confirmations.ok());
  EXPECT_EQ(out.confirmations.error().code, ErrorCode::kProtocolAbort);
  EXPECT_EQ(out.confirmations.error().party, 2u);
}

TYPED_TEST(DkgTest, DealingReplayedFromAnotherSessionIsExcluded) {
  using C = TypeParam;
  Behaviour<C> b;
  b.replay_other_session = true;
  expect_agreement(run_dkg<C>(5, 3, test::test_seed() + 209, {{1, b}}), 3, {1});
}

TYPED_TEST(DkgTest, MisuseIsRefused) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 210);
  DkgParameters p{{}, 3, 2};
  std::vector<X25519PublicKey> pubs(3);
  EXPECT_EQ(DkgParticipant<C>::create(p, 0, SecretBytes(32), pubs).error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(DkgParticipant<C>::create(p, 4, SecretBytes(32), pubs).error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(DkgParticipant<C>::create({{}, 3, 4}, 1, SecretBytes(32), pubs).error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(DkgParticipant<C>::create(p, 1, SecretBytes(32), std::vector<X25519PublicKey>(2)).error().code,
            ErrorCode::kInvalidInput);
  for (auto& k : pubs) k = x25519_generate(rng).public_key;
  auto part = DkgParticipant<C>::create(p, 1, SecretBytes(32), pubs).value();
  EXPECT_TRUE(part.deal(rng).ok());
  EXPECT_FALSE(part.deal(rng).ok()) << "a participant deals once";
  EXPECT_FALSE(part.receive_share({2, 3, Bytes(10)}).ok()) << "addressed to someone else";
  EXPECT_FALSE(part.receive_complaint({1, 1}).ok());
}

}  // namespace
}  // namespace vigil
