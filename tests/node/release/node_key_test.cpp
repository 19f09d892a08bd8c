// The key a node serves, rebuilt from its stored record: a record made from
// a deal round-trips on both curves, and every inconsistency a corrupted or
// foreign record could carry is refused with its reason before the node
// serves anything.
#include <gtest/gtest.h>

#include <functional>

#include "node/release/node_key.h"
#include "proto/codec.h"
#include "support/test_support.h"
#include "vigil/dealer.h"

namespace vigil::node {
namespace {

template <Curve C>
class NodeKeyTest : public ::testing::Test {};
TYPED_TEST_SUITE(NodeKeyTest, test::AllCurves);

template <Curve C>
v1::StoredKey record_of(const Deal<C>& d, std::size_t holder, std::uint32_t epoch = 3) {
  std::vector<Element<C>> public_shares;
  for (const auto& s : d.shares) public_shares.push_back(s.public_share);
  const auto& share = d.shares[holder];
  return make_key_record<C>(epoch, d.commitment, public_shares, {share.index, share.secret_share.clone()});
}

TYPED_TEST(NodeKeyTest, RecordRoundTrips) {
  using C = TypeParam;
  SeededRng rng(vigil::test::test_seed());
  const auto d = deal<C>(rng, 5, 3).value();
  auto key = node_key_from_record(record_of<C>(d, 3));
  ASSERT_TRUE(key.ok()) << key.error().message;
  const auto* k = std::get_if<NodeKey<C>>(&*key);
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->epoch, 3u);
  EXPECT_EQ(k->threshold, 3u);
  EXPECT_EQ(k->share.index, 4u);
  EXPECT_TRUE(k->public_share() == d.shares[3].public_share);
  EXPECT_TRUE(k->commitment.group_public_key() == d.group_public_key());
}

TYPED_TEST(NodeKeyTest, InconsistentRecordsAreRefusedWithTheReason) {
  using C = TypeParam;
  SeededRng rng(vigil::test::test_seed() + 1);
  const auto d = deal<C>(rng, 5, 3).value();
  const auto other = deal<C>(rng, 5, 3).value();
  const auto good = record_of<C>(d, 1);
  const std::vector<std::tuple<const char*, std::function<void(v1::StoredKey&)>, ErrorCode>> cases = {
      {"a share of another key", [&](auto& r) { r.set_secret_share(record_of<C>(other, 1).secret_share()); },
       ErrorCode::kVerificationFailed},
      {"a public share of another key",
       [&](auto& r) { r.set_public_shares(4, record_of<C>(other, 1).public_shares(4)); },
       ErrorCode::kVerificationFailed},
      {"another holder's index", [](auto& r) { r.set_index(3); }, ErrorCode::kVerificationFailed},
      {"an index beyond the committee", [](auto& r) { r.set_index(6); }, ErrorCode::kInvalidInput},
      {"index 0", [](auto& r) { r.set_index(0); }, ErrorCode::kInvalidInput},
      {"one commitment too few", [](auto& r) { r.mutable_commitments()->RemoveLast(); }, ErrorCode::kInvalidInput},
      {"a threshold the commitments do not have", [](auto& r) { r.set_threshold(4); }, ErrorCode::kInvalidInput},
      {"a truncated element", [](auto& r) { r.mutable_commitments(1)->pop_back(); }, ErrorCode::kBadEncoding},
      {"an unknown curve", [](auto& r) { r.set_curve(v1::CURVE_UNSPECIFIED); }, ErrorCode::kBadEncoding},
  };
  for (const auto& [what, edit, code] : cases) {
    auto r = good;
    edit(r);
    auto key = node_key_from_record(r);
    ASSERT_FALSE(key.ok()) << what;
    EXPECT_EQ(key.error().code, code) << what << ": " << key.error().message;
    if (std::string(what) != "an unknown curve") {
      EXPECT_EQ(key.error().message.rfind("stored key: ", 0), 0u) << what << ": " << key.error().message;
    }
  }
}

}  // namespace
}  // namespace vigil::node
