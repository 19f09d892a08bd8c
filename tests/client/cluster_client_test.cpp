// vigil::client against real nodes in process: the transport hands each
// request to a node's ApiRouter (the real service, store and checks), so
// that down, refusing and lying nodes can be scripted; the CLI's tests run
// the same client over real sockets against vigild processes.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>

#include "client/node_api.h"
#include "node/node_fixture.h"
#include "proto/codec.h"
#include "support/dstack_stand_in.h"
#include "support/synthetic_dcap.h"
#include "vigil/client.h"

namespace vigil::client {
namespace {

using C = Ristretto255;
using node::test::NodeCluster;

// Routes "http://node<i>/<path>" to node i's router. Nodes listed in `down`
// are unreachable; nodes in `lying` answer a recovery with a share computed
// from a wrong secret, sealed properly to the requester (its proof does not
// verify against the node's public share).
class InProcessTransport final : public HttpTransport {
 public:
  explicit InProcessTransport(NodeCluster& cluster) : cluster_(cluster), rng_(vigil::test::test_seed() + 7) {}

  Result<HttpResponse> request(std::string_view method, const std::string& url, const std::string& body,
                               std::chrono::milliseconds) override {
    const std::string prefix = "http://node";
    const auto slash = url.find('/', prefix.size());
    const ParticipantIndex index = static_cast<ParticipantIndex>(std::stoul(url.substr(prefix.size(), slash)));
    const std::string path = url.substr(slash);
    calls.fetch_add(1);
    if (down.count(index)) return make_error(ErrorCode::kTransport, "node" + std::to_string(index) + ": refused");
    {
      std::lock_guard lock(busy_mutex);
      if (auto b = busy.find(index); b != busy.end() && b->second > 0) {
        --b->second;
        return HttpResponse{503, R"({"error": "busy", "message": "the workers are busy; retry shortly"})"};
      }
    }
    auto& node = *cluster_.nodes.at(index - 1);
    auto r = node.router->handle(method, path, body);
    if (lying.count(index) && path == "/v1/recoveries" && r.status == 200) return lie(index, body, r.body);
    if (misreporting.count(index) && path == "/v1/status") return misreport(r.body);
    if (forging.count(index) && path == "/v1/status") return forge(r.body);
    if (keyless.count(index) && path == "/v1/status") {
      return HttpResponse{200, R"({"node_index": )" + std::to_string(index) + "}"};
    }
    return HttpResponse{r.status, r.body};
  }

  // `down`: unreachable; `lying`: wrong shares; `misreporting`: a status
  // whose public share 2 is node 3's; `forging`: a consistent 1-of-5 key of
  // the node's own making; `keyless`: a node that holds no key.
  std::set<ParticipantIndex> down, lying, misreporting, forging, keyless;
  std::atomic<int> calls{0};
  // Node -> how many more requests it answers 503 busy (its admission control).
  std::map<ParticipantIndex, int> busy;
  std::mutex busy_mutex;

 private:
  // A key whose every share is the secret: a valid threshold-1 report.
  static HttpResponse forge(const std::string& body) {
    v1::StatusResponse status;
    EXPECT_TRUE(from_json(body, status));
    SeededRng forger(99);
    const auto own = Element<C>::base_mult(Scalar<C>::random(forger)).encode();
    const std::string key(own.begin(), own.end());
    status.set_threshold(1);
    status.set_group_public_key(key);
    status.clear_commitments();
    status.add_commitments(key);
    for (int i = 0; i < status.public_shares_size(); ++i) status.set_public_shares(i, key);
    return {200, to_json(status)};
  }

  static HttpResponse misreport(const std::string& body) {
    v1::StatusResponse status;
    EXPECT_TRUE(from_json(body, status));
    status.set_public_shares(1, status.public_shares(2));
    return {200, to_json(status)};
  }

  // A share of the ciphertext the node answered with, computed from a wrong
  // secret and sealed properly to the requester.
  HttpResponse lie(ParticipantIndex index, const std::string& request_body, const std::string& answer) {
    std::lock_guard lock(mutex_);
    v1::RecoveryRequest request;
    v1::RecoveryResponse response;
    EXPECT_TRUE(from_json(request_body, request));
    EXPECT_TRUE(from_json(answer, response));
    auto ct = proto::from_proto<C>(response.ciphertext()).value();
    const auto digest = tdh2_ciphertext_digest(ct);
    X25519PublicKey response_key{};
    std::copy(request.response_key().begin(), request.response_key().end(), response_key.begin());
    const auto wrong = Scalar<C>::random(rng_);
    const auto verified = tdh2_check_ciphertext<C>(cluster_.key(), std::move(ct)).value();
    auto share = tdh2_decryption_share<C>(rng_, verified, {index, wrong.clone()}, Element<C>::base_mult(wrong)).value();
    auto bytes = seal_decryption_share<C>(rng_, response_key, as_bytes(response.share().request_id()), digest, share);
    response.mutable_share()->set_sealed(std::string(bytes->begin(), bytes->end()));
    return {200, to_json(response)};
  }

 private:
  NodeCluster& cluster_;
  SeededRng rng_;
  std::mutex mutex_;
};

class ClusterClientTest : public ::testing::Test {
 protected:
  ClusterClientTest()
      : cluster_(5, 3, node::test::temp_dir("client")), transport_(cluster_), rng_(vigil::test::test_seed() + 3) {
    description_.curve = CurveId::kRistretto255;
    description_.threshold = 3;
    description_.key_epoch = 1;
    const auto key = cluster_.dealt().group_public_key().encode();
    description_.group_public_key.assign(key.begin(), key.end());
    for (const auto& s : cluster_.dealt().shares) {
      const auto e = s.public_share.encode();
      description_.public_shares.emplace_back(e.begin(), e.end());
      description_.nodes.push_back({s.index, "http://node" + std::to_string(s.index)});
    }
  }

  // Protects `secret` under "the admin may recover it".
  Protection protect(const ClusterClient<C>& vault, const std::string& secret) {
    Policy policy;
    policy.enclave_key = enclave_.public_key;
    policy.any_of.push_back(PolicyGroup{{}, Requesters{1, {admin_.public_key}}, {}, {}, {}});
    auto p = vault.protect(enclave_, policy, as_bytes(secret));
    EXPECT_TRUE(p.ok()) << p.error().message;
    return std::move(p).value();
  }
  Result<Recovery> recover(const ClusterClient<C>& vault, const KeyId& key_id, const RecoveryOptions& options = {},
                           const Ed25519KeyPair* signer = nullptr) {
    const auto response = x25519_generate(rng_);
    auto request = vault.prepare_recovery(key_id, response.public_key);
    request.sign(signer ? *signer : admin_);
    return vault.recover(request, response, options);
  }

  ClusterClient<C> make_client() {
    auto c = ClusterClient<C>::create(description_, transport_, rng_, cluster_.clock);
    EXPECT_TRUE(c.ok()) << c.error().message;
    return std::move(c).value();
  }

  NodeCluster cluster_;
  InProcessTransport transport_;
  SeededRng rng_;
  ClusterDescription description_;
  Ed25519KeyPair enclave_ = ed25519_generate(rng_);
  Ed25519KeyPair admin_ = ed25519_generate(rng_);
};

std::string text(const SecretBytes& b) { return std::string(b.span().begin(), b.span().end()); }

TEST_F(ClusterClientTest, ProtectsWithEveryNodeAndRecoversWithTheFirstTOnly) {
  auto vault = make_client();
  auto p = protect(vault, "the enclave's key");
  EXPECT_EQ(p.accepted, (std::vector<ParticipantIndex>{1, 2, 3, 4, 5}));
  EXPECT_TRUE(p.problems.empty());
  for (auto& n : cluster_.nodes) EXPECT_TRUE(n->store->protected_secret(p.key_id).value().has_value());
  transport_.calls = 0;
  auto r = recover(vault, p.key_id);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(text(r->plaintext), "the enclave's key");
  EXPECT_EQ(r->used, (std::vector<ParticipantIndex>{1, 2, 3}));
  EXPECT_TRUE(r->problems.empty());
  EXPECT_EQ(transport_.calls.load(), 3);
}

TEST_F(ClusterClientTest, AnyFirstNodeIsTakenModuloTheCluster) {
  auto vault = make_client();
  const auto p = protect(vault, "secret");
  for (std::size_t first : {std::size_t{7}, SIZE_MAX}) {
    auto r = recover(vault, p.key_id, {.first_node = first});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->problems.empty()) << first;
    std::set<ParticipantIndex> used(r->used.begin(), r->used.end());
    EXPECT_EQ(used.size(), 3u);
  }
}

TEST_F(ClusterClientTest, TurnsToOtherNodesAndNamesThoseThatFailedOrLied) {
  auto vault = make_client();
  const auto p = protect(vault, "secret");
  transport_.down = {2};
  transport_.lying = {3};
  auto r = recover(vault, p.key_id, {.first_node = 1});  // nodes 2, 3, 4 first
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(text(r->plaintext), "secret");
  std::set<ParticipantIndex> used(r->used.begin(), r->used.end());
  EXPECT_EQ(used, (std::set<ParticipantIndex>{4, 5, 1}));
  ASSERT_EQ(r->problems.size(), 2u);
  std::map<ParticipantIndex, NodeProblem> problems;
  for (const auto& q : r->problems) problems[q.index] = q;
  EXPECT_EQ(problems[2].problem.rfind("unreachable: ", 0), 0u) << problems[2].problem;
  EXPECT_EQ(problems[2].code, "unreachable");
  EXPECT_EQ(problems[3].problem, "invalid share (proof does not verify)");
  EXPECT_EQ(problems[3].code, "invalid_share");
}

TEST_F(ClusterClientTest, FailsNamingEveryNodeAndItsReasonWhenFewerThanTGrant) {
  auto vault = make_client();
  const auto p = protect(vault, "secret");
  transport_.down = {1, 4};
  transport_.lying = {5};
  auto r = recover(vault, p.key_id);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kVerificationFailed);
  const std::string& m = r.error().message;
  EXPECT_NE(m.find("only 2 of the 3 shares needed"), std::string::npos) << m;
  EXPECT_NE(m.find("node 1: unreachable"), std::string::npos) << m;
  EXPECT_NE(m.find("node 4: unreachable"), std::string::npos) << m;
  EXPECT_NE(m.find("node 5: invalid share"), std::string::npos) << m;

  // A stranger's request is refused by every node, each with its reason.
  transport_.down.clear();
  transport_.lying.clear();
  const auto stranger = ed25519_generate(rng_);
  auto refused = recover(vault, p.key_id, {}, &stranger);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("node 5: not_authorised: "), std::string::npos) << refused.error().message;
}

TEST_F(ClusterClientTest, HeartbeatsReachEveryNodeAndRotateTheSecret) {
  auto vault = make_client();
  const auto p = protect(vault, "first");
  auto beat = vault.heartbeat(enclave_, p.key_id, 1);
  ASSERT_TRUE(beat.ok()) << beat.error().message;
  EXPECT_EQ(beat->accepted.size(), 5u);
  transport_.down = {4};
  const std::string rotated = "rotated";
  auto rotation = vault.heartbeat(enclave_, p.key_id, 2, as_bytes(rotated));
  ASSERT_TRUE(rotation.ok()) << rotation.error().message;
  EXPECT_EQ(rotation->accepted, (std::vector<ParticipantIndex>{1, 2, 3, 5}));
  ASSERT_EQ(rotation->problems.size(), 1u);
  EXPECT_EQ(rotation->problems[0].code, "unreachable");
  auto again = vault.heartbeat(enclave_, p.key_id, 2);
  ASSERT_FALSE(again.ok()) << "a replayed counter is refused everywhere";
  EXPECT_NE(again.error().message.find("replayed"), std::string::npos) << again.error().message;
  transport_.down.clear();
  auto r = recover(vault, p.key_id);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(text(r->plaintext), "rotated");
  // Another enclave cannot heartbeat for it.
  auto forged = vault.heartbeat(admin_, p.key_id, 3);
  ASSERT_FALSE(forged.ok());
  auto policy = vault.fetch_policy(p.key_id);
  ASSERT_TRUE(policy.ok()) << policy.error().message;
  EXPECT_EQ(encode_policy(*policy), p.policy);
}

// A node whose admission control answers 503 busy did none of the work:
// the client asks it again after a pause, within the call's time, and
// names it busy only when that runs out. Other refusals are not retried.
TEST_F(ClusterClientTest, ANodeThatIsBusyIsAskedAgainWithinTheCallsTime) {
  auto vault = make_client();
  const auto p = protect(vault, "secret");
  transport_.busy = {{2, 3}, {4, 1}};
  auto beat = vault.heartbeat(enclave_, p.key_id, 1);
  ASSERT_TRUE(beat.ok()) << beat.error().message;
  EXPECT_EQ(beat->accepted.size(), 5u);
  EXPECT_TRUE(beat->problems.empty());

  transport_.busy = {{1, 2}};
  auto r = recover(vault, p.key_id);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->used, (std::vector<ParticipantIndex>{1, 2, 3}));
  EXPECT_TRUE(r->problems.empty());

  transport_.busy = {{3, 1'000'000}};
  const auto started = std::chrono::steady_clock::now();
  auto still =
      vault.heartbeat(enclave_, p.key_id, 2, std::nullopt, {.per_node_timeout = std::chrono::milliseconds(400)});
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  ASSERT_TRUE(still.ok()) << still.error().message;
  ASSERT_EQ(still->problems.size(), 1u);
  EXPECT_EQ(still->problems[0].index, 3u);
  EXPECT_EQ(still->problems[0].code, "busy");
  EXPECT_GE(1'000'000 - transport_.busy[3], 3) << "asked again";

  transport_.busy.clear();
  const int before = transport_.calls.load();
  (void)vault.heartbeat(enclave_, p.key_id, 2);  // refused (replayed) by every node but 3: asked once each
  EXPECT_EQ(transport_.calls.load() - before, 5);
}

TEST_F(ClusterClientTest, ARecoveryRequestIsPreparedSignedElsewhereAndRoundTripsAsJson) {
  auto vault = make_client();
  const auto second = ed25519_generate(rng_);
  Policy two_of_two;
  two_of_two.enclave_key = enclave_.public_key;
  std::vector<Ed25519PublicKey> keys{admin_.public_key, second.public_key};
  std::sort(keys.begin(), keys.end());
  two_of_two.any_of.push_back(PolicyGroup{{}, Requesters{2, keys}, {}, {}, {}});
  auto p = vault.protect(enclave_, two_of_two, as_bytes("governed"));
  ASSERT_TRUE(p.ok()) << p.error().message;
  const auto response = x25519_generate(rng_);
  RecoveryRequest prepared = vault.prepare_recovery(p->key_id, response.public_key);
  prepared.sign(admin_);
  // The file goes to the second holder, who signs it on their machine.
  auto file = recovery_request_to_json(prepared);
  auto at_second = parse_recovery_request_json(file);
  ASSERT_TRUE(at_second.ok()) << at_second.error().message;
  at_second->sign(second);
  at_second->sign(second);  // twice is once
  ASSERT_EQ(at_second->signatures.size(), 2u);
  auto back = parse_recovery_request_json(recovery_request_to_json(*at_second)).value();
  auto r = vault.recover(back, response);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(text(r->plaintext), "governed");
  // The granted request again, even with one signature, is a retry: the
  // same answers, sealed to the same response key, and nothing new.
  EXPECT_TRUE(vault.recover(prepared, response).ok());
  RecoveryRequest fresh = vault.prepare_recovery(p->key_id, response.public_key);
  fresh.sign(admin_);
  auto one_only = vault.recover(fresh, response);
  ASSERT_FALSE(one_only.ok());
  EXPECT_NE(one_only.error().message.find("not_authorised"), std::string::npos);

  for (const std::string bad : {"{", "{\"key_id\": \"AAAA\"}", "[]"}) {
    auto parsed = parse_recovery_request_json(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kBadEncoding);
  }
  EXPECT_FALSE(vault.recover(back, x25519_generate(rng_)).ok()) << "another response key than the request's";
}

TEST_F(ClusterClientTest, RequestsExpireByTheInjectedClock) {
  auto vault = make_client();
  const auto p = protect(vault, "secret");
  // A requester whose clock is an hour behind signs requests that nodes see as expired.
  node::test::ManualClock behind;
  behind.now = cluster_.clock.now - 3'600'000;
  auto late = ClusterClient<C>::create(description_, transport_, rng_, behind).value();
  auto r = recover(late, p.key_id);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("expired"), std::string::npos) << r.error().message;
}

TEST_F(ClusterClientTest, RefusesDescriptionsItCannotUse) {
  auto wrong_curve = ClusterClient<Secp256k1>::create(description_, transport_, rng_, cluster_.clock);
  ASSERT_FALSE(wrong_curve.ok());
  EXPECT_EQ(wrong_curve.error().message, "the cluster is on ristretto255, not secp256k1");

  auto no_key = description_;
  no_key.group_public_key.clear();
  EXPECT_EQ(ClusterClient<C>::create(no_key, transport_, rng_, cluster_.clock).error().message,
            "the cluster holds no key yet");

  auto bad_share = description_;
  bad_share.public_shares[2][0] ^= 0xff;
  auto r = ClusterClient<C>::create(bad_share, transport_, rng_, cluster_.clock);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBadEncoding);
  EXPECT_EQ(r.error().message.rfind("public share 3: ", 0), 0u) << r.error().message;

  auto twice = description_;
  twice.nodes.push_back(twice.nodes[0]);
  EXPECT_EQ(ClusterClient<C>::create(twice, transport_, rng_, cluster_.clock).error().message,
            "node 1 is listed twice");
  auto epoch0 = description_;
  epoch0.key_epoch = 0;  // nodes read 0 as "any epoch" and answer with theirs: no share would ever match
  EXPECT_EQ(ClusterClient<C>::create(epoch0, transport_, rng_, cluster_.clock).error().message,
            "key epoch 0 names no key");

  auto stray = description_;
  stray.nodes.push_back({9, "http://node9"});
  EXPECT_EQ(ClusterClient<C>::create(stray, transport_, rng_, cluster_.clock).error().message,
            "node 9 has no public share");
}

TEST_F(ClusterClientTest, DescriptionRoundTripsThroughJsonAndFromTheNodes) {
  auto parsed = parse_cluster_description(R"({"curve": "ristretto255", "threshold": 3, "key_epoch": 1,
      "group_public_key": ")" + to_hex(description_.group_public_key) +
                                          R"(", "public_shares": [)" +
                                          [&] {
                                            std::string list;
                                            for (const auto& s : description_.public_shares) {
                                              list += (list.empty() ? "\"" : ", \"") + to_hex(s) + "\"";
                                            }
                                            return list;
                                          }() +
                                          R"(], "nodes": [{"index": 1, "api": "http://node1"},
      {"index": 2, "api": "http://node2"}, {"index": 3, "api": "http://node3"}, {"index": 4, "api": "http://node4"},
      {"index": 5, "api": "http://node5", "pid": 42}]})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->group_public_key, description_.group_public_key);
  EXPECT_EQ(parsed->public_shares, description_.public_shares);
  ASSERT_EQ(parsed->nodes.size(), 5u);
  EXPECT_EQ(parsed->nodes[4].api, "http://node5");

  std::vector<std::string> urls = {"http://node3", "http://node1", "http://node5"};
  auto fetched = fetch_cluster_description(transport_, urls, std::chrono::milliseconds(1000));
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(fetched->group_public_key, description_.group_public_key);
  EXPECT_EQ(fetched->public_shares, description_.public_shares);
  EXPECT_EQ(fetched->threshold, 3u);
  ASSERT_EQ(fetched->nodes.size(), 3u);
  EXPECT_EQ(fetched->nodes[0].index, 3u);
  EXPECT_EQ(fetched->nodes[0].api, "http://node3");
  // A subset of the nodes is enough to protect and recover.
  auto vault = ClusterClient<C>::create(*fetched, transport_, rng_, cluster_.clock).value();
  auto r = recover(vault, protect(vault, "from three URLs").key_id);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(text(r->plaintext), "from three URLs");

  // A node that reports public shares off its own commitments is named; the
  // honest nodes' shares would otherwise look invalid.
  transport_.misreporting = {1};
  auto inconsistent = fetch_cluster_description(transport_, urls, std::chrono::milliseconds(1000));
  ASSERT_FALSE(inconsistent.ok());
  EXPECT_EQ(inconsistent.error().code, ErrorCode::kVerificationFailed);
  EXPECT_EQ(inconsistent.error().message,
            "node 1 reports an inconsistent key: its public share 2 does not match its commitments");
  transport_.misreporting.clear();

  // With every node listed, one that is down is left out; with fewer than t
  // answering, or none, the error names each silent one.
  transport_.down = {5};
  const std::vector<std::string> all = {"http://node1", "http://node2", "http://node3", "http://node4", "http://node5"};
  auto without_five = fetch_cluster_description(transport_, all, std::chrono::milliseconds(1000));
  ASSERT_TRUE(without_five.ok()) << without_five.error().message;
  EXPECT_EQ(without_five->nodes.size(), 4u);
  EXPECT_EQ(without_five->public_shares.size(), 5u);
  auto too_few = fetch_cluster_description(transport_, urls, std::chrono::milliseconds(1000));
  ASSERT_FALSE(too_few.ok());
  EXPECT_NE(too_few.error().message.find("only 2 of 3 nodes reported the key, and 3 (t, and a majority of "
                                         "those listed) must agree when some are silent: http://node5"),
            std::string::npos)
      << too_few.error().message;
  // A lying node that claims t = 1 cannot stand for the cluster while the
  // honest ones are silent: a majority of those listed must agree too.
  transport_.down = {2, 3, 4, 5};
  transport_.forging = {1};
  auto forged = fetch_cluster_description(transport_, all, std::chrono::milliseconds(1000));
  ASSERT_FALSE(forged.ok());
  EXPECT_NE(forged.error().message.find("only 1 of 5 nodes reported the key, and 3 (t, and a majority"),
            std::string::npos)
      << forged.error().message;
  // Heard beside an honest node, it is an error, not a node left out.
  transport_.down = {3, 4, 5};
  EXPECT_EQ(fetch_cluster_description(transport_, all, std::chrono::milliseconds(1000)).error().code,
            ErrorCode::kVerificationFailed);
  transport_.forging.clear();
  // A node with no key (it reports no curve) is left out like one that is down.
  transport_.down = {5};
  transport_.keyless = {4};
  auto with_keyless = fetch_cluster_description(transport_, all, std::chrono::milliseconds(1000));
  ASSERT_TRUE(with_keyless.ok()) << with_keyless.error().message;
  EXPECT_EQ(with_keyless->nodes.size(), 3u);
  transport_.keyless.clear();
  transport_.down = {1, 3, 5};
  auto unreachable = fetch_cluster_description(transport_, urls, std::chrono::milliseconds(1000));
  ASSERT_FALSE(unreachable.ok());
  EXPECT_EQ(unreachable.error().code, ErrorCode::kTransport);
  EXPECT_NE(unreachable.error().message.find("none of the 3 nodes reported a key: http://node3: "), std::string::npos)
      << unreachable.error().message;
}

TEST_F(ClusterClientTest, MalformedDescriptionsAreRefusedNamingTheField) {
  std::vector<std::pair<std::string, std::string>> cases = {
      {"{", "cluster description: not valid JSON"},
      {"[]", "cluster description: not a JSON object"},
      {R"({"curve": "p256", "threshold": 1, "nodes": []})", "cluster description: curve: unknown curve 'p256'"},
      {R"({"curve": "ristretto255", "threshold": 1, "group_public_key": "zz", "nodes": []})",
       "cluster description: group_public_key: not hex"},
      {R"({"curve": "ristretto255", "threshold": 2, "group_public_key": "00", "public_shares": ["00"],
           "nodes": [{"index": 1, "api": "http://a"}]})",
       "cluster description: inconsistent threshold or nodes"},
      {R"({"curve": "ristretto255", "threshold": 0, "nodes": [{"index": 1, "api": "http://a"}]})",
       "cluster description: inconsistent threshold or nodes"},
      {R"({"curve": "ristretto255", "threshold": 1, "nodes": [{"index": 0, "api": "http://a"}]})",
       "cluster description: nodes: index 0 is 0 or repeated"},
      {R"({"curve": "ristretto255", "threshold": 1, "group_public_key": "00", "public_shares": ["00"],
           "nodes": [{"index": 2, "api": "http://a"}]})",
       "cluster description: node 2 has no public share (public_shares lists 1)"},
  };
  // Numbers are unsigned integers in range, never truncated.
  cases.push_back({R"({"curve": "ristretto255", "threshold": -1, "nodes": []})",
                   "cluster description: threshold: must be an integer from 0 to 4096"});
  cases.push_back({R"({"curve": "ristretto255", "threshold": 2.5, "nodes": []})",
                   "cluster description: threshold: must be an integer from 0 to 4096"});
  cases.push_back({R"({"curve": "ristretto255", "threshold": 1, "nodes": [{"index": 4294967297, "api": "x"}]})",
                   "cluster description: index: must be an integer from 0 to 4096"});
  cases.push_back({R"({"curve": "ristretto255", "threshold": 1, "nodes": {"index": 1}})",
                   "cluster description: nodes: must be an array of {index, api}"});
  cases.push_back({R"({"curve": "ristretto255", "threshold": 1, "key_epoch": 0, "group_public_key": "00",
                      "public_shares": ["00"], "nodes": [{"index": 1, "api": "x"}]})",
                   "cluster description: key_epoch: 0 names no key"});
  for (const auto& [json, message] : cases) {
    auto r = parse_cluster_description(json);
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_EQ(r.error().code, ErrorCode::kBadEncoding) << json;
    EXPECT_EQ(r.error().message.substr(0, message.size()), message) << json;
  }
  // A missing field names itself through the JSON library's message.
  auto missing = parse_cluster_description(R"({"curve": "ristretto255"})");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("threshold"), std::string::npos) << missing.error().message;
}

// A fresh TD of the same image, in a dstack CVM: it asks the guest agent
// (here a stand-in speaking its protocol) for a quote over the request's
// report data, and the nodes release on that quote alone.
TEST_F(ClusterClientTest, AFreshTdRecoversWithAQuoteFromTheGuestAgent) {
  cluster_.clock.now = 1'790'000'000'000;
  const vigil::test::SyntheticDcap world(dcap::Tee::kTdx, cluster_.clock.now / 1000);
  cluster_.trust_collateral(world.collateral_json(), world.root_der());
  const vigil::test::DstackStandIn agent(node::test::temp_dir("dstack") += ".sock",
                                         [&world](const std::array<std::uint8_t, 64>& report_data) {
                                           dcap::TdReport td = world.td_report();
                                           td.report_data = report_data;
                                           return world.quote(td);
                                         });
  auto vault = make_client();
  Policy policy;
  policy.enclave_key = enclave_.public_key;
  Attested same_image;
  same_image.mr_td = world.td_report().mr_td;
  policy.any_of.push_back(PolicyGroup{{}, {}, {}, {}, same_image});
  auto protection = vault.protect(enclave_, policy, as_bytes("kept across enclaves"));
  ASSERT_TRUE(protection.ok()) << protection.error().message;

  const auto response = x25519_generate(rng_);
  auto request = vault.prepare_recovery(protection->key_id, response.public_key);
  auto quote = dstack_get_quote(agent.socket().string(), vault.report_data_for(request));
  ASSERT_TRUE(quote.ok()) << quote.error().message;
  request.quote = *quote;
  // As a file between machines, too.
  auto parsed = parse_recovery_request_json(recovery_request_to_json(request));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->quote, request.quote);
  auto recovered = vault.recover(*parsed, response);
  ASSERT_TRUE(recovered.ok()) << recovered.error().message;
  EXPECT_EQ(std::string(recovered->plaintext.span().begin(), recovered->plaintext.span().end()),
            "kept across enclaves");

  // Without the quote, nobody may ask.
  auto unquoted = vault.prepare_recovery(protection->key_id, response.public_key);
  auto refused = vault.recover(unquoted, response);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("signatures: between 1 and 64 (or none, with a quote)"), std::string::npos)
      << refused.error().message;
  // No agent there; report data the agent refuses is impossible by type (64 bytes).
  auto missing = dstack_get_quote((node::test::temp_dir("none") += ".sock").string(), vault.report_data_for(request));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kTransport);
  EXPECT_EQ(agent.requests(), 1);
}

}  // namespace
}  // namespace vigil::client
