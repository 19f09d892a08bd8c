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

// The attested condition on the facts of a verified quote: the TEE, never
// a debug one, an accepted TCB status, every pinned measurement.
TEST(PolicyEvaluation, AnAttestedGroupHoldsOnlyForAMatchingNonDebugQuoteOfAnAcceptedStatus) {
  Attested tdx;
  tdx.mr_td.emplace().fill(0x7d);
  tdx.rtmr[2].emplace().fill(0xa2);
  tdx.statuses = kUpToDateOnly | (1U << 1);  // and SWHardeningNeeded
  PolicyGroup g;
  g.attested = tdx;
  const Policy p{key(7), {g}};
  ASSERT_TRUE(check_policy(p).ok());
  ASSERT_TRUE(decode_policy(encode_policy(p)).ok());

  PolicyFacts f = facts(0, {});
  expect_refused(evaluate_policy(p, f), Refusal::kNotAttested);  // no quote
  f.attestation_error = "collateral_expired: ...";
  f.collateral_expired = true;
  expect_refused(evaluate_policy(p, f), Refusal::kCollateralExpired);
  f.collateral_expired = false;
  PolicyFacts::Attestation q;
  q.mr_td = *tdx.mr_td;
  q.rtmr[2] = *tdx.rtmr[2];
  q.rtmr[3].fill(0x33);  // not pinned: anything
  f.attestation = q;
  EXPECT_TRUE(evaluate_policy(p, f).granted);
  f.attestation->status = 1;
  EXPECT_TRUE(evaluate_policy(p, f).granted) << "SWHardeningNeeded is accepted";
  f.attestation->status = 4;
  EXPECT_EQ(evaluate_policy(p, f).why, "TCB status OutOfDate is not one the policy accepts");
  f.attestation->status = 99;
  expect_refused(evaluate_policy(p, f), Refusal::kNotAttested);
  f.attestation = q;
  f.attestation->debug = true;
  EXPECT_EQ(evaluate_policy(p, f).why, "the quote is of a debug TD");
  f.attestation = q;
  f.attestation->rtmr[2][47] ^= 1;
  EXPECT_EQ(evaluate_policy(p, f).why, "RTMR2 differs from the policy's");
  f.attestation = q;
  f.attestation->tee = AttestedTee::kSgx;
  EXPECT_EQ(evaluate_policy(p, f).why, "the quote is sgx, the policy wants tdx");

  Attested sgx;
  sgx.tee = AttestedTee::kSgx;
  sgx.signer = SgxSigner{key(5), 3, 4};
  PolicyGroup s;
  s.attested = sgx;
  const Policy by_signer{key(7), {s}};
  ASSERT_TRUE(check_policy(by_signer).ok());
  PolicyFacts::Attestation e;
  e.tee = AttestedTee::kSgx;
  e.mr_signer = key(5);
  e.isv_prod_id = 3;
  e.isv_svn = 4;
  f.attestation = e;
  EXPECT_TRUE(evaluate_policy(by_signer, f).granted);
  f.attestation->isv_svn = 3;
  EXPECT_EQ(evaluate_policy(by_signer, f).why, "ISVSVN 3 is below the policy's 4");
  f.attestation = e;
  f.attestation->isv_prod_id = 2;
  EXPECT_EQ(evaluate_policy(by_signer, f).why, "ISVPRODID differs from the policy's");
  f.attestation = e;
  f.attestation->mr_signer = key(6);
  EXPECT_EQ(evaluate_policy(by_signer, f).why, "MRSIGNER differs from the policy's");
}

TEST(PolicyRules, AnAttestedConditionPinsSomethingOfItsOwnTeeAndAcceptsSomeStatus) {
  Attested a;
  EXPECT_FALSE(check_attested(a).ok()) << "TDX with nothing pinned";
  a.mr_td.emplace();
  EXPECT_TRUE(check_attested(a).ok());
  a.statuses = 0;
  EXPECT_FALSE(check_attested(a).ok());
  a.statuses = 1U << 6;  // Revoked
  EXPECT_FALSE(check_attested(a).ok());
  a.statuses = kUpToDateOnly;
  a.mr_enclave.emplace();
  EXPECT_FALSE(check_attested(a).ok()) << "an SGX field in a TDX condition";
  Attested sgx;
  sgx.tee = AttestedTee::kSgx;
  EXPECT_FALSE(check_attested(sgx).ok());
  sgx.mr_enclave.emplace();
  EXPECT_TRUE(check_attested(sgx).ok());
  sgx.rtmr[0].emplace();
  EXPECT_FALSE(check_attested(sgx).ok());
  // A group of an attested condition alone names who may receive.
  PolicyGroup g;
  g.attested = Attested{};
  g.attested->mr_td.emplace();
  EXPECT_TRUE(check_policy(Policy{key(7), {g}}).ok());
}

}  // namespace
}  // namespace vigil
