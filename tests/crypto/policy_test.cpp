// Deciding a request under a release policy: pure, on the facts a node
// holds (its clock, the newest heartbeat, who signed, how often it released).
#include <gtest/gtest.h>

#include "vigil/policy.h"

namespace vigil {
namespace {

Ed25519PublicKey key(std::uint8_t b) {
  Ed25519PublicKey k{};
  k.fill(b);
  return k;
}

const Ed25519PublicKey kAdmin = key(1), kAlice = key(2), kBob = key(3), kStranger = key(9);
constexpr std::int64_t kDay = 86'400'000;

// The dead man's switch: the admin, once the enclave has been silent a day.
Policy dead_mans_switch() {
  PolicyGroup g;
  g.silence_ms = kDay;
  g.requester = Requesters{1, {kAdmin}};
  return Policy{key(7), {g}};
}

PolicyFacts facts(std::int64_t silent_for, std::vector<Ed25519PublicKey> signers, std::uint32_t releases = 0) {
  PolicyFacts f;
  f.now_unix_ms = 1'800'000'000'000;
  f.last_heartbeat_unix_ms = f.now_unix_ms - silent_for;
  f.signers = std::move(signers);
  f.releases = releases;
  return f;
}

void expect_refused(const PolicyDecision& d, Refusal r) {
  EXPECT_FALSE(d.granted);
  EXPECT_EQ(refusal_code(d.refusal), refusal_code(r)) << d.why;
  EXPECT_FALSE(d.why.empty());
}

TEST(PolicyEvaluation, TheDeadMansSwitchOpensForItsRequesterOnlyAfterTheSilence) {
  const Policy p = dead_mans_switch();
  ASSERT_TRUE(check_policy(p).ok());
  expect_refused(evaluate_policy(p, facts(5'000, {kAdmin})), Refusal::kEnclaveAlive);
  expect_refused(evaluate_policy(p, facts(kDay - 1, {kAdmin})), Refusal::kEnclaveAlive);
  EXPECT_TRUE(evaluate_policy(p, facts(kDay, {kAdmin})).granted);
  expect_refused(evaluate_policy(p, facts(kDay * 2, {kStranger})), Refusal::kNotAuthorised);
  expect_refused(evaluate_policy(p, facts(kDay * 2, {})), Refusal::kNotAuthorised);
  // A heartbeat stamped ahead of this node's clock (within the allowed skew) is not silence.
  expect_refused(evaluate_policy(p, facts(-3'000, {kAdmin})), Refusal::kEnclaveAlive);
}

TEST(PolicyEvaluation, GovernanceCountsDistinctListedSignersAndHonoursTimeLocksAndReleaseCounts) {
  PolicyGroup g;
  g.requester = Requesters{2, {kAdmin, kAlice, kBob}};
  g.not_before_unix_ms = 1'800'000'000'000;
  g.max_releases = 1;
  const Policy p{key(7), {g}};
  ASSERT_TRUE(check_policy(p).ok());
  expect_refused(evaluate_policy(p, facts(0, {kAlice})), Refusal::kNotAuthorised);
  // One signer listed twice counts once.
  expect_refused(evaluate_policy(p, facts(0, {kAlice, kAlice})), Refusal::kNotAuthorised);
  expect_refused(evaluate_policy(p, facts(0, {kAlice, kStranger})), Refusal::kNotAuthorised);
  EXPECT_TRUE(evaluate_policy(p, facts(0, {kAlice, kBob})).granted);
  expect_refused(evaluate_policy(p, facts(0, {kAlice, kBob}, 1)), Refusal::kReleased);
  PolicyFacts early = facts(0, {kAlice, kBob});
  early.now_unix_ms = 1'799'999'999'999;
  expect_refused(evaluate_policy(p, early), Refusal::kNotBefore);
}

TEST(PolicyEvaluation, AnyGroupGrantsAndARefusalComesFromTheGroupThatGotFurthest) {
  PolicyGroup admin_early;
  admin_early.requester = Requesters{1, {kAdmin}};
  admin_early.silence_ms = 4'000;
  PolicyGroup others_late;
  others_late.requester = Requesters{1, {kAlice, kBob}};
  others_late.silence_ms = 90 * kDay;
  const Policy p{key(7), {admin_early, others_late}};
  ASSERT_TRUE(check_policy(p).ok());
  const PolicyDecision admin = evaluate_policy(p, facts(5'000, {kAdmin}));
  EXPECT_TRUE(admin.granted);
  EXPECT_EQ(admin.group, 0u);
  const PolicyDecision alice_early = evaluate_policy(p, facts(5'000, {kAlice}));
  expect_refused(alice_early, Refusal::kEnclaveAlive);
  EXPECT_EQ(alice_early.group, 1u) << "Alice is authorised by the second group, which waits longer";
  const PolicyDecision alice_late = evaluate_policy(p, facts(90 * kDay, {kAlice}));
  EXPECT_TRUE(alice_late.granted);
  EXPECT_EQ(alice_late.group, 1u);
  expect_refused(evaluate_policy(p, facts(1'000, {kAdmin})), Refusal::kEnclaveAlive);
  expect_refused(evaluate_policy(p, facts(100 * kDay, {kStranger})), Refusal::kNotAuthorised);
}

}  // namespace
}  // namespace vigil
