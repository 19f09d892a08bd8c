// The client API through ApiRouter: status, registrations and heartbeats,
// each malformed or refused request answered with the right status while
// the node keeps serving, and the attempts to get a share of a protected
// ciphertext around its policy. Recovery is tests/node/release/recovery_test.cpp.
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "node/api/json_body.h"
#include "node/logging.h"
#include "node/node_fixture.h"
#include "proto/protected_secrets.h"

namespace vigil::node {
namespace {

using test::NodeCluster;

using test::from_json;
using test::to_json;

class ApiTest : public ::testing::Test {
 protected:
  ApiTest() : cluster_(3, 2, test::temp_dir("api")) {}

  NodeCluster cluster_;
};

// protobuf reports some problems through its own log (a string field with
// invalid UTF-8, on serialising): they go into the node's structured log at
// debug level, not as raw "[libprotobuf ERROR ...]" lines on stderr. And a
// body with invalid UTF-8 is refused with a clear error.
TEST(ProtobufLogs, GoToTheStructuredLogNotStderr) {
  route_protobuf_logs_to_spdlog();
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
  auto logger = spdlog::default_logger();
  const auto level = logger->level();
  logger->sinks().push_back(sink);
  logger->set_level(spdlog::level::debug);

  v1::ErrorResponse message;
  message.set_message(std::string("\xff\xfe"));
  ::testing::internal::CaptureStderr();
  (void)message.SerializeAsString();
  const std::string printed = ::testing::internal::GetCapturedStderr();
  const auto lines = sink->last_formatted();
  logger->sinks().pop_back();
  logger->set_level(level);

  EXPECT_EQ(printed.find("[libprotobuf"), std::string::npos) << printed;
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.back().find("protobuf: "), std::string::npos) << lines.back();

  v1::ErrorResponse parsed;
  const Status status = api::parse_body("{\"error\": \"\xff\xfe\"}", parsed);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("malformed request body"), std::string::npos) << status.error().message;
}

// Found by fuzz_api: a path with bytes that are not UTF-8 was quoted raw in
// the 404 message, and the answer was not JSON a client could parse.
TEST_F(ApiTest, ErrorsQuotingTheRequestAreValidJson) {
  auto& router = *cluster_.nodes[0]->router;
  const auto response = router.handle("GET", "/v1/re\xff\xfe\x01", "");
  EXPECT_EQ(response.status, 404u);
  const auto parsed = from_json<v1::ErrorResponse>(response.body);
  EXPECT_EQ(parsed.error(), "not_found");
  EXPECT_NE(parsed.message().find("/v1/re%FF%FE%01"), std::string::npos) << parsed.message();
}

TEST_F(ApiTest, HealthMetricsAndStatus) {
  auto& router = *cluster_.nodes[0]->router;
  EXPECT_EQ(router.handle("GET", "/healthz", "").body, "ok\n");
  auto status = from_json<v1::StatusResponse>(router.handle("GET", "/v1/status", "").body);
  EXPECT_EQ(status.node_index(), 1u);
  const auto& identity = cluster_.nodes[0]->identity.public_key;
  EXPECT_EQ(status.identity(), std::string(identity.begin(), identity.end()));  // what vigil doctor compares
  EXPECT_EQ(status.curve(), "ristretto255");
  EXPECT_EQ(status.threshold(), 2u);
  EXPECT_EQ(status.parties(), 3u);
  EXPECT_EQ(status.key_epoch(), 1u);
  auto gpk = cluster_.dealt().group_public_key().encode();
  EXPECT_EQ(status.group_public_key(), std::string(gpk.begin(), gpk.end()));
  auto metrics = router.handle("GET", "/metrics", "");
  EXPECT_NE(metrics.body.find("vigil_requests_total{kind=\"status\",outcome=\"ok\"} 1"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("vigil_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_EQ(router.handle("POST", "/healthz", "").status, 405u);
  EXPECT_EQ(router.handle("GET", "/v2/nothing", "").status, 404u);
}

// An enclave (with a dead man's switch for its admin) as the API sees it.
class ProtectedSecretApiTest : public ApiTest {
 protected:
  ProtectedSecretApiTest() : enclave_(ed25519_generate(cluster_.rng())), admin_(ed25519_generate(cluster_.rng())) {
    Policy policy;
    policy.enclave_key = enclave_.public_key;
    policy.any_of.push_back(PolicyGroup{86'400'000, Requesters{1, {admin_.public_key}}, {}, {}, {}});
    canonical_ = encode_policy(policy);
    const auto digest = policy_digest(canonical_);
    label_.assign(digest.begin(), digest.end());
  }
  v1::Registration registration(const std::string& ciphertext_label, std::int64_t at, const Ed25519KeyPair& signer) {
    v1::Registration r;
    r.set_policy(std::string(canonical_.begin(), canonical_.end()));
    *r.mutable_ciphertext() = proto::to_proto(cluster_.encrypt(ciphertext_label, "the wallet key"));
    r.set_registered_unix_ms(at);
    proto::sign_registration(r, signer);
    return r;
  }
  void expect_answer(const std::string& path, const google::protobuf::Message& m, unsigned status,
                     const std::string& expect) {
    auto answer = cluster_.nodes[0]->router->handle("POST", path, to_json(m));
    EXPECT_EQ(answer.status, status) << answer.body;
    EXPECT_NE(answer.body.find(expect), std::string::npos) << answer.body;
  }

  Ed25519KeyPair enclave_, admin_;
  Bytes canonical_;
  std::string label_;  // the policy's digest
};

// One path to a share: whatever route an attacker takes with a protected
// ciphertext, no node computes a share of it outside its policy.
TEST_F(ProtectedSecretApiTest, AProtectedCiphertextYieldsNoShareAroundItsPolicy) {
  auto& router = *cluster_.nodes[0]->router;
  const v1::Registration victim = registration(label_, cluster_.clock.now, enclave_);
  expect_answer("/v1/registrations", victim, 200, "");
  const auto attacker = ed25519_generate(cluster_.rng());

  // The routes of old that released a share for any registered ciphertext are gone.
  v1::Registration as_before;
  *as_before.mutable_ciphertext() = victim.ciphertext();
  for (const char* path : {"/v1/ciphertexts", "/v1/decryption-shares"}) {
    EXPECT_EQ(router.handle("POST", path, to_json(as_before)).status, 404u) << path;
  }
  // The ciphertext under a weaker policy of the attacker's: its label is not that policy's digest.
  Policy weaker;
  weaker.enclave_key = attacker.public_key;
  weaker.any_of.push_back(PolicyGroup{{}, Requesters{1, {attacker.public_key}}, {}, {}, {}});
  const Bytes weaker_bytes = encode_policy(weaker);
  v1::Registration moved = victim;
  moved.set_policy(std::string(weaker_bytes.begin(), weaker_bytes.end()));
  proto::sign_registration(moved, attacker);
  expect_answer("/v1/registrations", moved, 400, "ciphertext.label: is not the digest of the policy");
  // The same policy, registered again by the attacker: only the policy's enclave signs for it.
  v1::Registration squatted = victim;
  squatted.set_registered_unix_ms(victim.registered_unix_ms() + 1);
  proto::sign_registration(squatted, attacker);
  expect_answer("/v1/registrations", squatted, 403, "signature");
  // Smuggled in as a heartbeat's replacement for a secret of the attacker's own.
  v1::Registration own;
  own.set_policy(moved.policy());
  const auto own_label = policy_digest(weaker_bytes);
  *own.mutable_ciphertext() =
      proto::to_proto(cluster_.encrypt(std::string(own_label.begin(), own_label.end()), "the attacker's"));
  own.set_registered_unix_ms(cluster_.clock.now);
  proto::sign_registration(own, attacker);
  expect_answer("/v1/registrations", own, 200, "");
  v1::Heartbeat smuggle;
  const auto own_id = proto::check_registration(own).value().key_id;
  smuggle.set_key_id(std::string(own_id.begin(), own_id.end()));
  smuggle.set_counter(1);
  smuggle.set_unix_ms(cluster_.clock.now);
  *smuggle.mutable_replacement() = victim.ciphertext();
  proto::sign_heartbeat(smuggle, attacker);
  expect_answer("/v1/heartbeats", smuggle, 400, "replacement.label");
  // And the attacker's recovery of their own secret yields a share of their ciphertext only.
  v1::RecoveryRequest mine;
  mine.set_key_id(smuggle.key_id());
  mine.set_response_key(std::string(32, 'r'));
  mine.set_nonce(std::string(16, 'n'));
  mine.set_expires_at_unix_ms(cluster_.clock.now + 60'000);
  proto::add_recovery_signature(mine, attacker);
  auto answer = from_json<v1::RecoveryResponse>(router.handle("POST", "/v1/recoveries", to_json(mine)).body);
  EXPECT_EQ(answer.ciphertext().SerializeAsString(), own.ciphertext().SerializeAsString());
  EXPECT_EQ(cluster_.nodes[0]->store->protected_secret_count().value(), 2);
}

// The registry is bounded: a service allowed one protected secret takes no second.
TEST_F(ProtectedSecretApiTest, TheRegistryIsBounded) {
  auto& node = *cluster_.nodes[1];
  ServiceSettings bounded = node.config.service();
  bounded.max_ciphertexts = 1;
  DecryptionService small(bounded, *node.store, cluster_.clock, cluster_.rng(), node.identity);
  ASSERT_TRUE(small.load_key().ok());
  Metrics small_metrics;
  ApiRouter small_router(small, small_metrics);
  EXPECT_EQ(
      small_router.handle("POST", "/v1/registrations", to_json(registration(label_, cluster_.clock.now, enclave_)))
          .status,
      200u);
  auto full =
      small_router.handle("POST", "/v1/registrations", to_json(registration(label_, cluster_.clock.now, enclave_)));
  EXPECT_EQ(full.status, 503u) << full.body;
  EXPECT_NE(full.body.find("at most 1 protected secrets"), std::string::npos) << full.body;
}

// An enclave protects a secret: a node keeps a registration only when the
// enclave signed it, the ciphertext's label is its policy's digest and the
// ciphertext is valid under the cluster's key, and its timestamp is near the
// node's clock. The same registration again creates nothing.
TEST_F(ProtectedSecretApiTest, ARegistrationIsKeptOnlyWhenTheEnclaveSignedAValidCiphertextUnderItsPolicy) {
  auto& router = *cluster_.nodes[0]->router;
  const v1::Registration good = registration(label_, cluster_.clock.now, enclave_);
  auto first = router.handle("POST", "/v1/registrations", to_json(good));
  ASSERT_EQ(first.status, 200u) << first.body;
  const auto response = from_json<v1::RegistrationResponse>(first.body);
  EXPECT_TRUE(response.created());
  const auto checked = proto::check_registration(good).value();
  EXPECT_EQ(response.key_id(), std::string(checked.key_id.begin(), checked.key_id.end()));
  auto again = from_json<v1::RegistrationResponse>(router.handle("POST", "/v1/registrations", to_json(good)).body);
  EXPECT_EQ(again.key_id(), response.key_id());
  EXPECT_FALSE(again.created());
  const auto stored = cluster_.nodes[0]->store->protected_secret(checked.key_id).value().value();
  EXPECT_EQ(stored.heartbeat_unix_ms, cluster_.clock.now) << "silence counts from the registration";
  EXPECT_EQ(stored.heartbeat_counter, 0u);

  auto refused = [&](const v1::Registration& r, unsigned status, const std::string& expect) {
    expect_answer("/v1/registrations", r, status, expect);
  };
  refused(registration(label_, cluster_.clock.now, admin_), 403, "signature");
  refused(registration("a weaker policy", cluster_.clock.now, enclave_), 400, "ciphertext.label");
  refused(registration(label_, cluster_.clock.now + 61'000, enclave_), 400, "registered_unix_ms");
  refused(registration(label_, cluster_.clock.now - 61'000, enclave_), 400, "registered_unix_ms");
  v1::Registration forged_proof = good;
  forged_proof.mutable_ciphertext()->mutable_f()->at(0) ^= 1;  // still a canonical scalar; the proof fails
  proto::sign_registration(forged_proof, enclave_);
  refused(forged_proof, 403, "");
  v1::Registration huge = good;
  huge.mutable_ciphertext()->mutable_payload()->assign(proto::kMaxProtectedPayloadBytes + 1, 'x');
  proto::sign_registration(huge, enclave_);
  refused(huge, 400, "ciphertext.payload: a protected secret is at most 64 KiB");
  EXPECT_EQ(router.handle("POST", "/v1/registrations", "{\"policy\": \"AAAA\"}").status, 400u);
  EXPECT_EQ(router.handle("PUT", "/v1/registrations", "").status, 405u);
  // Anyone may read a registration back: it is public and signed by its enclave.
  auto read = router.handle("GET", "/v1/registrations?key_id=" + to_hex(checked.key_id), "");
  ASSERT_EQ(read.status, 200u) << read.body;
  EXPECT_EQ(from_json<v1::Registration>(read.body).SerializeAsString(), good.SerializeAsString());
  EXPECT_EQ(router.handle("GET", "/v1/registrations", "").status, 400u);
  EXPECT_EQ(router.handle("GET", "/v1/registrations?key_id=zz", "").status, 400u);
  EXPECT_EQ(router.handle("GET", "/v1/registrations?key_id=" + std::string(64, '0'), "").status, 404u);
  EXPECT_EQ(cluster_.nodes[0]->store->protected_secret_count().value(), 1);
}

// Heartbeats move the silence timer only forward: a replayed, stale,
// future-dated, forged or unknown heartbeat is refused and changes nothing,
// and a replacement ciphertext is taken only under the same policy.
TEST_F(ProtectedSecretApiTest, HeartbeatsMoveTheTimerOnlyWhenTheyAreNewAndTheEnclaves) {
  const v1::Registration registered = registration(label_, cluster_.clock.now, enclave_);
  expect_answer("/v1/registrations", registered, 200, "");
  const auto key_id = proto::check_registration(registered).value().key_id;
  auto heartbeat = [&](std::uint64_t counter, std::int64_t at, const Ed25519KeyPair& signer,
                       std::optional<std::string> replacement_label = {}) {
    v1::Heartbeat h;
    h.set_key_id(std::string(key_id.begin(), key_id.end()));
    h.set_counter(counter);
    h.set_unix_ms(at);
    if (replacement_label) *h.mutable_replacement() = proto::to_proto(cluster_.encrypt(*replacement_label, "rotated"));
    proto::sign_heartbeat(h, signer);
    return h;
  };
  auto stored = [&] { return cluster_.nodes[0]->store->protected_secret(key_id).value().value(); };

  cluster_.clock.now += 5'000;
  expect_answer("/v1/heartbeats", heartbeat(1, cluster_.clock.now, enclave_), 200, "");
  EXPECT_EQ(stored().heartbeat_unix_ms, cluster_.clock.now);
  const std::int64_t alive_at = cluster_.clock.now;
  cluster_.clock.now += 5'000;
  expect_answer("/v1/heartbeats", heartbeat(1, cluster_.clock.now, enclave_), 400, "replayed");
  // An old counter is refused before its signature is looked at.
  expect_answer("/v1/heartbeats", heartbeat(1, cluster_.clock.now, admin_), 400, "replayed");
  expect_answer("/v1/heartbeats", heartbeat(2, cluster_.clock.now, admin_), 403, "signature");
  expect_answer("/v1/heartbeats", heartbeat(2, cluster_.clock.now + 3'600'000, enclave_), 400, "unix_ms");
  expect_answer("/v1/heartbeats", heartbeat(2, cluster_.clock.now, enclave_, "a weaker policy"), 400,
                "replacement.label");
  v1::Heartbeat unknown = heartbeat(2, cluster_.clock.now, enclave_);
  unknown.mutable_key_id()->at(0) ^= 1;
  expect_answer("/v1/heartbeats", unknown, 404, "unknown_key");
  EXPECT_EQ(stored().heartbeat_unix_ms, alive_at) << "refused heartbeats leave the timer";
  EXPECT_EQ(stored().heartbeat_counter, 1u);

  const Bytes before = stored().ciphertext;
  expect_answer("/v1/heartbeats", heartbeat(7, cluster_.clock.now, enclave_, label_), 200, "");
  EXPECT_EQ(stored().heartbeat_counter, 7u);
  EXPECT_NE(stored().ciphertext, before) << "the enclave rotated its secret";
  EXPECT_EQ(cluster_.nodes[0]->router->handle("GET", "/v1/heartbeats", "").status, 405u);
  EXPECT_EQ(cluster_.nodes[0]->router->handle("POST", "/v1/heartbeats", "{\"counter\": \"x\"}").status, 400u);
}

}  // namespace
}  // namespace vigil::node
