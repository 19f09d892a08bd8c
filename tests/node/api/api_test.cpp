// The client API through ApiRouter: a 2-of-3 decryption end to end, and each
// malformed or refused request answered with the right status while the node
// keeps serving.
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

  // Registers a ciphertext on every node; returns its digest.
  CiphertextDigest register_everywhere(const Tdh2Ciphertext<Ristretto255>& ct) {
    v1::RegisterCiphertextRequest req;
    *req.mutable_ciphertext() = proto::to_proto(ct);
    for (auto& n : cluster_.nodes) {
      auto r = n->router->handle("POST", "/v1/ciphertexts", to_json(req));
      EXPECT_EQ(r.status, 200u) << r.body;
    }
    return tdh2_ciphertext_digest(ct);
  }

  NodeCluster cluster_;
};

TEST_F(ApiTest, HealthMetricsAndStatus) {
  auto& router = *cluster_.nodes[0]->router;
  EXPECT_EQ(router.handle("GET", "/healthz", "").body, "ok\n");
  auto status = from_json<v1::StatusResponse>(router.handle("GET", "/v1/status", "").body);
  EXPECT_EQ(status.node_index(), 1u);
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

TEST_F(ApiTest, TwoOfThreeDecryptionWithSealedShares) {
  auto ct = cluster_.encrypt("policy:test", "the enclave's key");
  const auto digest = register_everywhere(ct);
  auto requester = x25519_generate(cluster_.rng());
  std::vector<DecryptionShare<Ristretto255>> shares;
  for (std::size_t i : {0u, 2u}) {
    auto req = cluster_.request(digest, requester.public_key);
    auto r = cluster_.nodes[i]->router->handle("POST", "/v1/decryption-shares", to_json(req));
    ASSERT_EQ(r.status, 200u) << r.body;
    auto response = from_json<v1::DecryptionResponse>(r.body);
    const auto& sealed = response.share();
    EXPECT_EQ(sealed.index(), i + 1);
    auto share = open_decryption_share<Ristretto255>(requester.secret_key.span(), as_bytes(sealed.sealed()),
                                                     as_bytes(req.request_id()), digest, sealed.index());
    ASSERT_TRUE(share.ok()) << share.error().to_string();
    shares.push_back(std::move(share).value());
  }
  std::vector<Element<Ristretto255>> pubs;
  for (const auto& s : cluster_.dealt().shares) pubs.push_back(s.public_share);
  auto out = tdh2_combine<Ristretto255>(cluster_.rng(), cluster_.key(), pubs, 2, ct, shares);
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  EXPECT_EQ(std::string(out->plaintext.span().begin(), out->plaintext.span().end()), "the enclave's key");
  EXPECT_NE(cluster_.nodes[0]->router->handle("GET", "/metrics", "").body.find("vigil_shares_issued_total 1"),
            std::string::npos);
}

TEST_F(ApiTest, RefusedAndMalformedRequests) {
  auto ct = cluster_.encrypt("policy:test", "secret");
  const auto digest = register_everywhere(ct);
  auto requester = x25519_generate(cluster_.rng());
  auto& router = *cluster_.nodes[1]->router;
  auto post = [&](const v1::DecryptionRequest& r) {
    return router.handle("POST", "/v1/decryption-shares", to_json(r));
  };
  auto expect = [&](const HttpResponse& r, unsigned status, const std::string& text, const std::string& what) {
    EXPECT_EQ(r.status, status) << what << ": " << r.body;
    EXPECT_NE(r.body.find(text), std::string::npos) << what << ": " << r.body;
  };

  auto ok = cluster_.request(digest, requester.public_key);
  expect(post(ok), 200, "sealed", "first use");
  expect(post(ok), 403, "replayed request", "replay");

  auto tampered = cluster_.request(digest, requester.public_key);
  tampered.set_response_key(std::string(32, 'x'));
  expect(post(tampered), 403, "signature does not verify", "re-routed response key");

  auto expired = cluster_.request(digest, requester.public_key);
  expired.set_expires_at_unix_ms(cluster_.clock.now - 1);
  expect(post(expired), 403, "signature does not verify", "expiry changed after signing");

  cluster_.clock.now += 120'000;
  auto late = cluster_.request(digest, requester.public_key);
  cluster_.clock.now += 61'000;
  expect(post(late), 403, "expired", "expired");
  cluster_.clock.now -= 181'000;

  auto stranger = cluster_.request(digest, requester.public_key);
  auto other = ed25519_generate(cluster_.rng());
  proto::sign_decryption_request(stranger, other);
  expect(post(stranger), 403, "not authorised", "unknown requester");

  CiphertextDigest unknown{};
  expect(post(cluster_.request(unknown, requester.public_key)), 404, "no ciphertext", "unregistered digest");

  auto short_id = cluster_.request(digest, requester.public_key);
  short_id.set_request_id("x");
  expect(post(short_id), 400, "request_id", "short request id");

  for (const std::string body : {"", "{", "[]", "{\"nonce\": 5}", "{\"unknown_field\": 1}", "{\"nonce\": \"!!\"}"}) {
    expect(router.handle("POST", "/v1/decryption-shares", body), 400, "malformed", body);
    expect(router.handle("POST", "/v1/ciphertexts", body), 400, "malformed", body);
  }
  // A ciphertext with a changed label is refused at registration.
  auto bad = proto::to_proto(ct);
  bad.set_label("policy:weaker");
  v1::RegisterCiphertextRequest reg;
  *reg.mutable_ciphertext() = bad;
  expect(router.handle("POST", "/v1/ciphertexts", to_json(reg)), 403, "ciphertext is invalid", "relabelled");
  bad = proto::to_proto(ct);
  bad.set_u(std::string(32, '\xff'));
  *reg.mutable_ciphertext() = bad;
  expect(router.handle("POST", "/v1/ciphertexts", to_json(reg)), 400, "ciphertext.u", "bad element");

  // The ciphertext store is bounded: a service over the same store, allowed one ciphertext, takes no more.
  auto& node = *cluster_.nodes[1];
  ServiceSettings bounded = node.config.service();
  bounded.max_ciphertexts = 1;
  DecryptionService small(bounded, *node.store, cluster_.clock, cluster_.rng(),
                          std::make_unique<RequesterAllowlist>(node.config.requesters), node.identity);
  ASSERT_TRUE(small.load_key().ok());
  Metrics small_metrics;
  ApiRouter small_router(small, small_metrics);
  auto another = cluster_.encrypt("policy:test", "more");
  *reg.mutable_ciphertext() = proto::to_proto(another);
  expect(small_router.handle("POST", "/v1/ciphertexts", to_json(reg)), 503, "at most 1 ciphertexts", "store full");

  // Still serving.
  expect(post(cluster_.request(digest, requester.public_key)), 200, "sealed", "after the bad requests");
}

// An enclave (with a dead man's switch for its admin) as the API sees it.
class ProtectedSecretApiTest : public ApiTest {
 protected:
  ProtectedSecretApiTest() : enclave_(ed25519_generate(cluster_.rng())), admin_(ed25519_generate(cluster_.rng())) {
    Policy policy;
    policy.enclave_key = enclave_.public_key;
    policy.any_of.push_back(PolicyGroup{86'400'000, Requesters{1, {admin_.public_key}}, {}, {}});
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
  EXPECT_EQ(router.handle("POST", "/v1/registrations", "{\"policy\": \"AAAA\"}").status, 400u);
  EXPECT_EQ(router.handle("GET", "/v1/registrations", "").status, 405u);
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
