// The byte strings programs sign or hash (proto/README.md) against
// tests/vectors/signed-messages.json, which tests/vectors/signed_messages.py
// computes independently from the documented encodings; then the checks a
// node makes of a signed plan, each refusal with its reason.
#include <gtest/gtest.h>

#include <functional>

#include "proto/audit.h"
#include "proto/ceremony.h"
#include "proto/protected_secrets.h"
#include "support/test_support.h"
#include "vigil/hash.h"
#include "vigil/policy.h"

namespace vigil::proto {
namespace {

TEST(SignedMessagesTest, AuditEntryMatchesTheVector) {
  const auto v = test::load_project_vectors("signed-messages.json")["audit_entry"];
  v1::AuditEntry e;
  e.set_seq(v["seq"].get<std::uint64_t>());
  e.set_previous(as_string(test::hex(v["previous"])));
  e.set_unix_ms(v["unix_ms"].get<std::int64_t>());
  e.set_key_id(as_string(test::hex(v["key_id"])));
  e.set_request_digest(as_string(test::hex(v["request_digest"])));
  e.set_outcome(v["outcome"].get<std::string>());
  e.set_detail(v["detail"].get<std::string>());
  for (const auto& k : v["signers"]) e.add_signers(as_string(test::hex(k)));
  EXPECT_EQ(to_hex(audit_signing_bytes(e)), v["signing_bytes"].get<std::string>());
  EXPECT_EQ(to_hex(audit_entry_hash(e)), v["hash"].get<std::string>());
  const auto node = ed25519_from_seed(test::hex(v["node_seed"])).value();
  sign_audit_entry(e, node);
  EXPECT_EQ(to_hex(as_bytes(e.signature())), v["signature"].get<std::string>());  // Ed25519 is deterministic
  AuditHash previous{};
  const Bytes previous_bytes = test::hex(v["previous"]);
  std::copy(previous_bytes.begin(), previous_bytes.end(), previous.begin());
  AuditChainVerifier chain(node.public_key, e.seq() - 1, previous);
  EXPECT_TRUE(chain.add(e).ok());
}

TEST(SignedMessagesTest, CeremonyPlanSigningBytesMatchTheVector) {
  const auto v = test::load_project_vectors("signed-messages.json")["ceremony_plan"];
  const Bytes plan = test::hex(v["plan"]);
  const Bytes signing = ceremony_plan_signing_bytes(plan);
  EXPECT_EQ(to_hex(signing), v["signing_bytes"].get<std::string>());
  auto op = ed25519_from_seed(test::hex(v["operator_seed"])).value();
  EXPECT_EQ(to_hex(ed25519_sign(op, signing)), v["signature"].get<std::string>());
}

v1::CeremonyPlan dkg_plan_message() {
  v1::CeremonyPlan m;
  m.set_version(1);
  m.set_session_id(std::string(32, '\x11'));
  m.set_kind(v1::CEREMONY_KIND_DKG);
  m.set_curve(v1::CURVE_RISTRETTO255);
  m.set_parties(5);
  m.set_threshold(3);
  return m;
}

TEST(SignedMessagesTest, OnlyAnUnalteredPlanFromAListedOperatorIsAccepted) {
  auto op = ed25519_generate(system_rng());
  const auto stranger = ed25519_generate(system_rng());
  const std::vector<Ed25519PublicKey> operators = {op.public_key};
  const auto request = sign_ceremony_plan(dkg_plan_message(), op);
  auto plan = check_ceremony_request(request, operators, 1);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->parties, 5u);
  EXPECT_EQ(plan->threshold, 3u);
  EXPECT_EQ(plan->dealers, (std::vector<ParticipantIndex>{1, 2, 3, 4, 5}));

  auto unlisted = check_ceremony_request(sign_ceremony_plan(dkg_plan_message(), stranger), operators, 1);
  ASSERT_FALSE(unlisted.ok());
  EXPECT_EQ(unlisted.error().code, ErrorCode::kVerificationFailed);
  EXPECT_NE(unlisted.error().message.find("is not listed under [[operators]]"), std::string::npos);

  auto altered = request;
  auto m = dkg_plan_message();
  m.set_threshold(2);  // an operator signed 3-of-5; a relay must not lower it
  altered.set_plan(m.SerializeAsString());
  auto refused = check_ceremony_request(altered, operators, 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kVerificationFailed);
  EXPECT_EQ(refused.error().message, "ceremony plan signature does not verify");

  // Malformed sizes are refused before anything else is looked at.
  auto short_key = request;
  short_key.mutable_approvals(0)->mutable_operator_key()->pop_back();
  auto bad = check_ceremony_request(short_key, operators, 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kBadEncoding);
  auto none = request;
  none.clear_approvals();
  EXPECT_FALSE(check_ceremony_request(none, operators, 1).ok());
}

TEST(SignedMessagesTest, AQuorumOfDistinctOperatorsMustApprove) {
  std::vector<Ed25519KeyPair> ops;
  std::vector<Ed25519PublicKey> operators;
  for (int i = 0; i < 3; ++i) {
    ops.push_back(ed25519_generate(system_rng()));
    operators.push_back(ops.back().public_key);
  }
  auto request = sign_ceremony_plan(dkg_plan_message(), ops[0]);
  auto one = check_ceremony_request(request, operators, 2);
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.error().code, ErrorCode::kVerificationFailed);
  EXPECT_EQ(one.error().message, "the plan is approved by 1 of the operators; 2 needed (operator_quorum)");
  auto twice = request;
  approve_ceremony_plan(twice, ops[0]);  // the same operator again counts once
  EXPECT_FALSE(check_ceremony_request(twice, operators, 2).ok());
  approve_ceremony_plan(request, ops[2]);
  EXPECT_TRUE(check_ceremony_request(request, operators, 2).ok());
  // One approval that does not verify spoils the request.
  auto spoiled = request;
  approve_ceremony_plan(spoiled, ops[1]);
  (*spoiled.mutable_approvals(2)->mutable_signature())[0] ^= 1;
  EXPECT_FALSE(check_ceremony_request(spoiled, operators, 2).ok());
}

TEST(SignedMessagesTest, MalformedPlansAreRefusedNamingTheField) {
  auto bad = [](const std::function<void(v1::CeremonyPlan&)>& edit, const char* expect) {
    v1::CeremonyPlan m = dkg_plan_message();
    m.set_parties(3);
    m.set_threshold(2);
    edit(m);
    auto p = parse_ceremony_plan(as_bytes(m.SerializeAsString()));
    ASSERT_FALSE(p.ok()) << expect;
    EXPECT_NE(p.error().message.find(expect), std::string::npos) << p.error().message;
  };
  bad([](auto& m) { m.set_version(2); }, "version");
  bad([](auto& m) { m.set_session_id("short"); }, "session_id");
  bad([](auto& m) { m.set_abandons_session("short"); }, "abandons_session");
  bad([](auto& m) { m.set_threshold(4); }, "parties/threshold");
  bad([](auto& m) { m.set_kind(v1::CEREMONY_KIND_UNSPECIFIED); }, "kind");
  bad([](auto& m) { m.set_phase_timeout_ms(5); }, "phase_timeout_ms");
  bad([](auto& m) { m.add_dealers(1); }, "must be empty for a DKG");
  bad([](auto& m) { m.set_curve(v1::CURVE_UNSPECIFIED); }, "curve");
  bad(
      [](auto& m) {
        m.set_kind(v1::CEREMONY_KIND_RESHARE);
        m.set_old_parties(3);
        m.set_old_epoch(1);
        m.add_old_commitments("x");
        m.add_old_commitments("y");
        m.add_dealers(1);
      },
      "at least the old threshold (2) must deal");
  bad(
      [](auto& m) {
        m.set_kind(v1::CEREMONY_KIND_RESHARE);
        m.set_old_parties(3);
        m.set_old_epoch(1);
        m.add_old_commitments("x");
        m.add_dealers(4);
      },
      "dealers");
  auto garbage = parse_ceremony_plan(as_bytes(std::string("\xff\xff\xff", 3)));
  EXPECT_FALSE(garbage.ok());
}

TEST(SignedMessagesTest, TranscriptAndConfirmationMatchTheVector) {
  const auto v = test::load_project_vectors("signed-messages.json")["ceremony_transcript"];
  CeremonyPlan plan;
  const Bytes session = test::hex(v["session_id"]);
  std::copy(session.begin(), session.end(), plan.session_id.begin());
  plan.curve = parse_curve_name(v["curve"].get<std::string>()).value();
  plan.epoch = v["epoch"].get<std::uint32_t>();
  std::map<ParticipantIndex, Digest> dealings;
  for (const auto& [dealer, hex] : v["dealing_digests"].items()) {
    const Bytes d = test::hex(hex.get<std::string>());
    std::copy(d.begin(), d.end(), dealings[static_cast<ParticipantIndex>(std::stoul(dealer))].begin());
  }
  const Digest transcript = ceremony_transcript_digest(plan, test::hex(v["group_public_key"]), dealings);
  EXPECT_EQ(to_hex(transcript), v["transcript_digest"].get<std::string>());
}

TEST(SignedMessagesTest, CeremonyStatementMatchesTheVector) {
  const auto v = test::load_project_vectors("signed-messages.json")["ceremony_statement"];
  SessionId session{};
  const Bytes session_bytes = test::hex(v["session_id"]);
  std::copy(session_bytes.begin(), session_bytes.end(), session.begin());
  const Bytes seed = test::hex(v["author_seed"]);
  const auto author_key = ed25519_from_seed(seed).value();
  ASSERT_EQ(to_hex(author_key.public_key), v["author_key"].get<std::string>());
  const StatementSlot slot{v["author"].get<ParticipantIndex>(), static_cast<v1::StatementKind>(v["kind"].get<int>()),
                           v["subject"].get<std::uint32_t>()};
  const Bytes body = test::hex(v["body"]);
  const v1::CeremonyStatement statement =
      sign_ceremony_statement(session, slot, std::string(body.begin(), body.end()), author_key);
  EXPECT_EQ(to_hex(ceremony_statement_signing_bytes(session, slot, sha256(body))),
            v["signing_bytes"].get<std::string>());
  EXPECT_EQ(to_hex(as_bytes(statement.signature())), v["signature"].get<std::string>());

  // The digest form verifies; changing the slot, the body or the session does not.
  const v1::StatementDigest digest = statement_digest(statement);
  EXPECT_TRUE(verify_statement_digest(session, digest, author_key.public_key));
  for (const auto& mutate : std::vector<std::function<void(v1::StatementDigest&, SessionId&)>>{
           [](auto& d, auto&) { d.set_author(d.author() + 1); },
           [](auto& d, auto&) { d.set_kind(v1::STATEMENT_KIND_DEALING); },
           [](auto& d, auto&) { d.set_subject(d.subject() + 1); },
           [](auto& d, auto&) { (*d.mutable_body_digest())[0] ^= 1; },
           [](auto&, auto& s) { s[31] ^= 1; },
       }) {
    v1::StatementDigest changed = digest;
    SessionId other = session;
    mutate(changed, other);
    EXPECT_FALSE(verify_statement_digest(other, changed, author_key.public_key));
  }
  v1::StatementDigest truncated = digest;
  truncated.mutable_body_digest()->pop_back();
  EXPECT_FALSE(verify_statement_digest(session, truncated, author_key.public_key));
}

TEST(SignedMessagesTest, RegistrationKeyIdHeartbeatsAndRecoveryRequestMatchTheVector) {
  const auto v = test::load_project_vectors("signed-messages.json")["enclave_messages"];
  const auto enclave = ed25519_from_seed(test::hex(v["enclave_seed"])).value();
  EXPECT_EQ(to_hex(enclave.public_key), v["enclave_key"].get<std::string>());
  const Bytes policy = test::hex(v["policy"]);
  auto decoded = decode_policy(policy);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->enclave_key, enclave.public_key);
  const auto policy_hash = policy_digest(policy);
  EXPECT_EQ(to_hex(policy_hash), v["policy_digest"].get<std::string>());
  const Bytes ciphertext = test::hex(v["ciphertext_digest"]);
  const KeyId id = protected_key_id(policy_hash, ciphertext);
  EXPECT_EQ(to_hex(id), v["key_id"].get<std::string>());
  const std::int64_t registered = v["registered_unix_ms"].get<std::int64_t>();
  const Bytes registration = registration_signing_bytes(policy, ciphertext, registered);
  EXPECT_EQ(to_hex(registration), v["registration_signing_bytes"].get<std::string>());
  EXPECT_EQ(to_hex(ed25519_sign(enclave, registration)), v["registration_signature"].get<std::string>());
  ASSERT_EQ(v["heartbeats"].size(), 2u);
  for (const auto& beat : v["heartbeats"]) {
    const Bytes bytes =
        heartbeat_signing_bytes(id, beat["counter"].get<std::uint64_t>(), beat["unix_ms"].get<std::int64_t>(),
                                test::hex(beat["replacement_digest"]));
    EXPECT_EQ(to_hex(bytes), beat["signing_bytes"].get<std::string>());
    EXPECT_EQ(to_hex(ed25519_sign(enclave, bytes)), beat["signature"].get<std::string>());
  }
  const auto& request = v["recovery_request"];
  const Bytes recovery = recovery_request_signing_bytes(
      id, test::hex(request["response_key"]), test::hex(request["nonce"]),
      request["expires_at_unix_ms"].get<std::int64_t>(), request["key_epoch"].get<std::uint32_t>());
  EXPECT_EQ(to_hex(recovery), request["signing_bytes"].get<std::string>());
  ASSERT_EQ(request["signers"].size(), 2u);
  for (const auto& signer : request["signers"]) {
    const auto holder = ed25519_from_seed(test::hex(signer["seed"])).value();
    EXPECT_EQ(to_hex(holder.public_key), signer["key"].get<std::string>());
    EXPECT_EQ(to_hex(ed25519_sign(holder, recovery)), signer["signature"].get<std::string>());
  }
}

TEST(SignedMessagesTest, EveryFieldOfARegistrationHeartbeatAndRecoveryRequestIsBound) {
  const Bytes policy = encode_policy(Policy{{}, {PolicyGroup{std::nullopt, Requesters{1, {{}}}, {}, {}, {}}}});
  const Bytes digest(32, 1), other(32, 2);
  const Bytes base = registration_signing_bytes(policy, digest, 1000);
  Bytes other_policy = policy;
  other_policy.back() ^= 1;
  EXPECT_NE(registration_signing_bytes(other_policy, digest, 1000), base);
  EXPECT_NE(registration_signing_bytes(policy, other, 1000), base);
  EXPECT_NE(registration_signing_bytes(policy, digest, 1001), base);
  const Bytes beat = heartbeat_signing_bytes(digest, 7, 1000, {});
  EXPECT_NE(heartbeat_signing_bytes(other, 7, 1000, {}), beat);
  EXPECT_NE(heartbeat_signing_bytes(digest, 8, 1000, {}), beat);
  EXPECT_NE(heartbeat_signing_bytes(digest, 7, 1001, {}), beat);
  EXPECT_NE(heartbeat_signing_bytes(digest, 7, 1000, other), beat) << "a replacement is signed";
  EXPECT_NE(protected_key_id(digest, other), protected_key_id(other, digest));
  const Bytes nonce(16, 3);
  const Bytes request = recovery_request_signing_bytes(digest, other, nonce, 1000, 1);
  EXPECT_NE(recovery_request_signing_bytes(other, other, nonce, 1000, 1), request);
  EXPECT_NE(recovery_request_signing_bytes(digest, digest, nonce, 1000, 1), request);
  EXPECT_NE(recovery_request_signing_bytes(digest, other, Bytes(16, 4), 1000, 1), request);
  EXPECT_NE(recovery_request_signing_bytes(digest, other, nonce, 1001, 1), request);
  EXPECT_NE(recovery_request_signing_bytes(digest, other, nonce, 1000, 2), request);
}

}  // namespace
}  // namespace vigil::proto
