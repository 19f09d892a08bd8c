// Resharing through the DKG state machine: the group key never changes; a
// ciphertext made before decrypts after; refresh makes old shares useless
// with new ones; a dead node is replaced without its help; a dealer that does
// not share its old share is excluded; too few old members abort.
#include <gtest/gtest.h>

#include "support/dkg_phases.h"
#include "support/test_support.h"
#include "vigil/dealer.h"
#include "vigil/dkg.h"
#include "vigil/tdh2.h"

namespace vigil {
namespace {

template <Curve C>
struct Member {
  std::optional<SecretShare<C>> old_share;  // set for old members
  ParticipantIndex new_index = 0;           // set for new members
  bool silent = false;                      // an old member that deals nothing
  bool wrong_secret = false;                // publishes a constant term other than its old public share
};

template <Curve C>
struct ReshareOutcome {
  std::vector<Result<DkgResult<C>>> results;  // one per member, in order
};

template <Curve C>
ReshareOutcome<C> run_reshare(Rng& rng, const Deal<C>& old, std::size_t n_new, std::size_t t_new,
                              std::vector<Member<C>> members) {
  DkgParameters params;
  rng.fill(params.session_id);
  params.parties = n_new;
  params.threshold = t_new;
  std::vector<X25519KeyPair> keys;
  std::vector<X25519PublicKey> pubs;
  for (std::size_t j = 0; j < n_new; ++j) {
    keys.push_back(x25519_generate(rng));
    pubs.push_back(keys.back().public_key);
  }
  std::vector<DkgParticipant<C>> parts;
  for (auto& m : members) {
    SecretBytes secret =
        m.new_index ? keys[m.new_index - 1].secret_key.clone() : x25519_generate(rng).secret_key.clone();
    std::optional<SecretShare<C>> share;
    if (m.old_share) share = m.old_share->clone();
    parts.push_back(DkgParticipant<C>::create_reshare(params, {old.commitment, old.parties(), 1}, std::move(share),
                                                      m.new_index, std::move(secret), pubs)
                        .value());
  }
  auto deliver_share = [&](const DkgSealedShare& s) {
    for (std::size_t k = 0; k < members.size(); ++k) {
      if (members[k].new_index == s.recipient) {
        EXPECT_TRUE(parts[k].receive_share(s).ok());
      }
    }
  };
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (!members[i].old_share || members[i].silent) continue;
    auto d = parts[i].deal(rng).value();
    DkgDealing<C> dealing = d.dealing.clone();
    // A liar shifts its constant term: it no longer shares its old share.
    if (members[i].wrong_secret) dealing.commitments.front() = dealing.commitments.front() + Element<C>::generator();
    const auto& shares = d.shares;
    for (std::size_t k = 0; k < members.size(); ++k) {
      if (k != i) {
        EXPECT_TRUE(parts[k].receive_dealing(dealing).ok());
      }
    }
    for (const auto& s : shares) deliver_share(s);
  }
  test::run_dispute_phases<C>(parts);
  ReshareOutcome<C> out;
  for (auto& p : parts) out.results.push_back(p.finish());
  return out;
}

// Old members 1..n_old (dealers) and new members 1..n_new (recipients) as separate participants.
template <Curve C>
std::vector<Member<C>> committees(const Deal<C>& old, std::size_t n_new) {
  std::vector<Member<C>> m;
  for (const auto& s : old.shares) m.push_back({SecretShare<C>{s.index, s.secret_share.clone()}, 0});
  for (std::size_t j = 1; j <= n_new; ++j) m.push_back({std::nullopt, static_cast<ParticipantIndex>(j)});
  return m;
}

template <Curve C>
std::vector<SecretShare<C>> new_shares(const ReshareOutcome<C>& out) {
  std::vector<SecretShare<C>> shares;
  for (const auto& r : out.results) {
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    if (r.ok() && r->share.index != 0) shares.push_back(r->share.clone());
  }
  return shares;
}

template <Curve C>
class ReshareTest : public ::testing::Test {};
TYPED_TEST_SUITE(ReshareTest, test::AllCurves);

TYPED_TEST(ReshareTest, KeyUnchangedAndOldCiphertextDecrypts) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 300);
  auto old = deal<C>(rng, 5, 3).value();
  auto key = Tdh2PublicKey<C>::create(old.group_public_key()).value();
  auto ct = tdh2_encrypt<C>(rng, key, as_bytes("policy"), as_bytes("before the reshare")).value();

  auto out = run_reshare<C>(rng, old, 7, 4, committees<C>(old, 7));
  auto shares = new_shares(out);
  ASSERT_EQ(shares.size(), 7u);
  for (const auto& r : out.results) {
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->group_key == old.group_public_key());
    EXPECT_EQ(r->commitment.threshold(), 4u);
    EXPECT_TRUE(r->excluded.empty());
  }
  const auto& pubs = out.results.front()->public_shares;
  std::vector<DecryptionShare<C>> ds;
  for (std::size_t i : {1u, 3u, 4u, 6u}) {
    ds.push_back(tdh2_decryption_share<C>(rng, key, ct, shares[i], pubs[i]).value());
  }
  auto plain = tdh2_combine<C>(rng, key, pubs, 4, ct, ds);
  ASSERT_TRUE(plain.ok()) << plain.error().to_string();
  EXPECT_TRUE(equal_ct(plain->plaintext.span(), as_bytes("before the reshare")));
  // The new threshold holds: three new shares are not enough.
  shares.resize(3);
  EXPECT_FALSE(Element<C>::base_mult(*interpolate<C>(shares)) == old.group_public_key());
}

TYPED_TEST(ReshareTest, RefreshMakesOldSharesUselessWithNewOnes) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 301);
  auto old = deal<C>(rng, 5, 3).value();
  // Each node is both an old and a new member, under the same index.
  std::vector<Member<C>> members;
  for (const auto& s : old.shares) members.push_back({SecretShare<C>{s.index, s.secret_share.clone()}, s.index});
  auto out = run_reshare<C>(rng, old, 5, 3, std::move(members));
  auto fresh = new_shares(out);
  ASSERT_EQ(fresh.size(), 5u);
  std::vector<SecretShare<C>> three;
  for (std::size_t i : {0u, 2u, 4u}) three.push_back(fresh[i].clone());
  EXPECT_TRUE(Element<C>::base_mult(*interpolate<C>(three)) == old.group_public_key());
  for (std::size_t i = 0; i < 5; ++i) EXPECT_FALSE(fresh[i].value == old.shares[i].secret_share);
  // Two new shares with one old share do not recover the key.
  std::vector<SecretShare<C>> mixed;
  mixed.push_back(fresh[0].clone());
  mixed.push_back(fresh[2].clone());
  mixed.push_back(SecretShare<C>{5, old.shares[4].secret_share.clone()});
  EXPECT_FALSE(Element<C>::base_mult(*interpolate<C>(mixed)) == old.group_public_key());
}

TYPED_TEST(ReshareTest, DeadNodeIsReplacedWithoutItsHelp) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 302);
  auto old = deal<C>(rng, 5, 3).value();
  auto members = committees<C>(old, 5);
  members[1].silent = true;  // old member 2 is gone; new member 2 is a new machine
  auto out = run_reshare<C>(rng, old, 5, 3, std::move(members));
  auto shares = new_shares(out);
  ASSERT_EQ(shares.size(), 5u);
  for (const auto& r : out.results) EXPECT_EQ(r->excluded, std::vector<ParticipantIndex>{2});
  std::vector<SecretShare<C>> three;
  for (std::size_t i : {1u, 3u, 4u}) three.push_back(shares[i].clone());
  EXPECT_TRUE(Element<C>::base_mult(*interpolate<C>(three)) == old.group_public_key());
}

TYPED_TEST(ReshareTest, DealerThatAltersItsConstantTermIsExcluded) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 303);
  auto old = deal<C>(rng, 5, 3).value();
  auto members = committees<C>(old, 4);
  members[3].wrong_secret = true;
  auto out = run_reshare<C>(rng, old, 4, 3, std::move(members));
  for (std::size_t k = 0; k < out.results.size(); ++k) {
    if (k == 3) continue;
    ASSERT_TRUE(out.results[k].ok()) << out.results[k].error().to_string();
    EXPECT_EQ(out.results[k]->excluded, std::vector<ParticipantIndex>{4});
    EXPECT_TRUE(out.results[k]->group_key == old.group_public_key());
  }
}

TYPED_TEST(ReshareTest, FewerThanTOldMembersAbort) {
  using C = TypeParam;
  SeededRng rng(test::test_seed() + 304);
  auto old = deal<C>(rng, 5, 3).value();
  auto members = committees<C>(old, 5);
  members[0].silent = members[1].silent = members[2].silent = true;
  auto out = run_reshare<C>(rng, old, 5, 3, std::move(members));
  for (const auto& r : out.results) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kProtocolAbort);
    EXPECT_NE(r.error().message.find("2 dealers qualified, 3 needed"), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace vigil
