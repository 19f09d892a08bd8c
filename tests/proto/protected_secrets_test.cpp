// A protected secret's signed messages as a node receives them: a
// registration, heartbeats, and a recovery request with m-of-k signatures;
// each check refuses with the field it names.
#include <gtest/gtest.h>

#include "proto/protected_secrets.h"
#include "support/test_support.h"
#include "vigil/dealer.h"
#include "vigil/hash.h"

namespace vigil::proto {
namespace {

using C = Secp256k1;

class ProtectedSecrets : public ::testing::Test {
 protected:
  ProtectedSecrets()
      : rng_(test::test_seed() + 71),
        key_(Tdh2PublicKey<C>::create(deal<C>(rng_, 3, 2).value().group_public_key()).value()) {
    enclave_ = ed25519_generate(rng_);
    admin_ = ed25519_generate(rng_);
    Policy p;
    p.enclave_key = enclave_.public_key;
    p.any_of.push_back(PolicyGroup{86'400'000, Requesters{1, {admin_.public_key}}, {}, {}, {}});
    policy_ = encode_policy(p);
  }
  v1::Tdh2Ciphertext ciphertext(ByteSpan label) {
    return to_proto(tdh2_encrypt<C>(rng_, key_, label, as_bytes("the enclave's wallet key")).value());
  }
  v1::Registration registration() {
    v1::Registration r;
    r.set_policy(std::string(policy_.begin(), policy_.end()));
    *r.mutable_ciphertext() = ciphertext(policy_digest(policy_));
    r.set_registered_unix_ms(1'800'000'000'000);
    sign_registration(r, enclave_);
    return r;
  }
  static void expect_refused(const Status& s, ErrorCode code, const std::string& field) {
    ASSERT_FALSE(s.ok()) << field;
    EXPECT_EQ(s.error().code, code) << s.error().message;
    EXPECT_EQ(s.error().message.rfind(field, 0), 0u) << s.error().message;
  }
  template <class T>
  static Status status(const Result<T>& r) {
    return r ? Status{} : Status(r.error());
  }

  SeededRng rng_;
  Tdh2PublicKey<C> key_;  // a cluster's key, from a dealer
  Ed25519KeyPair enclave_, admin_;
  Bytes policy_;
};

TEST_F(ProtectedSecrets, ARegistrationIsCheckedWholeAndKnownByItsKeyId) {
  const v1::Registration r = registration();
  auto checked = check_registration(r);
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  const auto ct = from_proto<C>(r.ciphertext()).value();
  EXPECT_EQ(checked->key_id, protected_key_id(policy_digest(policy_), tdh2_ciphertext_digest(ct)));
  EXPECT_EQ(checked->policy.enclave_key, enclave_.public_key);

  auto edited = [&](auto edit) {
    v1::Registration copy = r;
    edit(copy);
    return status(check_registration(copy));
  };
  expect_refused(edited([](auto& x) { x.set_registered_unix_ms(x.registered_unix_ms() + 1); }),
                 ErrorCode::kVerificationFailed, "signature");
  expect_refused(edited([](auto& x) { x.mutable_signature()->pop_back(); }), ErrorCode::kBadEncoding, "signature");
  expect_refused(edited([&](auto& x) { sign_registration(x, admin_); }), ErrorCode::kVerificationFailed, "signature");
  expect_refused(edited([&](auto& x) {
                   *x.mutable_ciphertext() = ciphertext(as_bytes("a weaker policy"));
                   sign_registration(x, enclave_);
                 }),
                 ErrorCode::kInvalidInput, "ciphertext.label");
  expect_refused(edited([](auto& x) { x.clear_ciphertext(); }), ErrorCode::kBadEncoding, "ciphertext");
  // 0x05 starts no compressed secp256k1 point.
  expect_refused(edited([](auto& x) { x.mutable_ciphertext()->mutable_u()->at(0) = 0x05; }), ErrorCode::kBadEncoding,
                 "ciphertext");
  expect_refused(edited([](auto& x) { x.mutable_policy()->push_back(0); }), ErrorCode::kBadEncoding, "policy");
}

TEST_F(ProtectedSecrets, HeartbeatsAreSignedByTheEnclaveAndReplaceOnlyUnderTheSamePolicy) {
  const auto checked = check_registration(registration()).value();
  v1::Heartbeat h;
  h.set_key_id(std::string(checked.key_id.begin(), checked.key_id.end()));
  h.set_counter(1);
  h.set_unix_ms(1'800'000'005'000);
  sign_heartbeat(h, enclave_);
  const auto label = policy_digest(policy_);
  auto beat = check_heartbeat(h, enclave_.public_key, label);
  ASSERT_TRUE(beat.ok()) << beat.error().message;
  EXPECT_FALSE(beat->replacement.has_value());

  v1::Heartbeat rotating = h;
  rotating.set_counter(2);
  *rotating.mutable_replacement() = ciphertext(label);
  sign_heartbeat(rotating, enclave_);
  auto rotated = check_heartbeat(rotating, enclave_.public_key, label);
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  EXPECT_TRUE(rotated->replacement.has_value());

  v1::Heartbeat elsewhere = rotating;
  *elsewhere.mutable_replacement() = ciphertext(as_bytes("a weaker policy"));
  sign_heartbeat(elsewhere, enclave_);
  expect_refused(status(check_heartbeat(elsewhere, enclave_.public_key, label)), ErrorCode::kInvalidInput,
                 "replacement.label");
  v1::Heartbeat swapped = rotating;
  *swapped.mutable_replacement() = ciphertext(label);  // not what the enclave signed
  expect_refused(status(check_heartbeat(swapped, enclave_.public_key, label)), ErrorCode::kVerificationFailed,
                 "signature");
  v1::Heartbeat forged = h;
  forged.set_counter(9);
  expect_refused(status(check_heartbeat(forged, enclave_.public_key, label)), ErrorCode::kVerificationFailed,
                 "signature");
  expect_refused(status(check_heartbeat(h, admin_.public_key, label)), ErrorCode::kVerificationFailed, "signature");
  v1::Heartbeat zero = h;
  zero.set_counter(0);
  sign_heartbeat(zero, enclave_);
  expect_refused(status(check_heartbeat(zero, enclave_.public_key, label)), ErrorCode::kInvalidInput, "counter");
  v1::Heartbeat short_id = h;
  short_id.mutable_key_id()->pop_back();
  expect_refused(status(check_heartbeat(short_id, enclave_.public_key, label)), ErrorCode::kBadEncoding, "key_id");
}

TEST_F(ProtectedSecrets, ARecoveryRequestCarriesEachSignersOwnSignatureOverOneString) {
  const auto alice = ed25519_generate(rng_), bob = ed25519_generate(rng_);
  v1::RecoveryRequest r;
  r.set_key_id(std::string(32, 'k'));
  r.set_response_key(std::string(32, 'x'));
  r.set_nonce(std::string(24, 'n'));
  r.set_expires_at_unix_ms(1'800'000'060'000);
  r.set_key_epoch(1);
  add_recovery_signature(r, alice);  // on Alice's machine
  add_recovery_signature(r, bob);    // then on Bob's
  auto checked = check_recovery_request(r);
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  EXPECT_EQ(checked->signers, (std::vector<Ed25519PublicKey>{alice.public_key, bob.public_key}));
  EXPECT_EQ(checked->request_digest, sha256(recovery_request_signing_bytes(r)));

  auto edited = [&](auto edit) {
    v1::RecoveryRequest copy = r;
    edit(copy);
    return status(check_recovery_request(copy));
  };
  expect_refused(edited([](auto& x) { x.set_key_epoch(2); }), ErrorCode::kVerificationFailed,
                 "signatures[0].signature");
  expect_refused(edited([](auto& x) { x.mutable_signatures(1)->mutable_signature()->at(3) ^= 1; }),
                 ErrorCode::kVerificationFailed, "signatures[1].signature");
  expect_refused(edited([&](auto& x) { add_recovery_signature(x, alice); }), ErrorCode::kInvalidInput,
                 "signatures[2].key");
  expect_refused(edited([](auto& x) { x.clear_signatures(); }), ErrorCode::kBadEncoding, "signatures");
  expect_refused(edited([](auto& x) { x.set_nonce("short"); }), ErrorCode::kBadEncoding, "nonce");
  expect_refused(edited([](auto& x) { x.mutable_response_key()->pop_back(); }), ErrorCode::kBadEncoding,
                 "response_key");
  expect_refused(edited([](auto& x) { x.mutable_key_id()->push_back('k'); }), ErrorCode::kBadEncoding, "key_id");
  expect_refused(edited([](auto& x) { x.mutable_signatures(0)->mutable_key()->pop_back(); }), ErrorCode::kBadEncoding,
                 "signatures[0].key");
}

}  // namespace
}  // namespace vigil::proto
