// Conditional private decryption on in-process nodes with an injected
// clock: an enclave protects a secret under "silent for a day, then the
// admin", and each node decides recovery requests on its own state. Every
// refusal carries its stable code, every decision lands in the node's audit
// chain, and a granted share opens only with the requester's response key.
#include "node/node_fixture.h"
#include "proto/audit.h"
#include "proto/protected_secrets.h"
#include "support/synthetic_dcap.h"

namespace vigil::node {
namespace {

using C = Ristretto255;
using test::from_json;
using test::NodeCluster;
using test::to_json;

constexpr std::int64_t kDay = 86'400'000;

class RecoveryTest : public ::testing::Test {
 protected:
  RecoveryTest()
      : cluster_(5, 3, test::temp_dir("recovery")),
        enclave_(ed25519_generate(cluster_.rng())),
        admin_(ed25519_generate(cluster_.rng())),
        intruder_(ed25519_generate(cluster_.rng())) {}

  // Protects `secret` on every node under one group of `conditions` (the
  // enclave key is filled in); returns the key id.
  proto::KeyId protect(PolicyGroup conditions, const std::string& secret = "the enclave's wallet key") {
    std::vector<PolicyGroup> groups;
    groups.push_back(std::move(conditions));
    return protect(std::move(groups), secret);
  }
  proto::KeyId protect(std::vector<PolicyGroup> any_of, const std::string& secret = "the enclave's wallet key") {
    Policy policy;
    policy.enclave_key = enclave_.public_key;
    policy.any_of = std::move(any_of);
    canonical_ = encode_policy(policy);
    v1::Registration r;
    r.set_policy(std::string(canonical_.begin(), canonical_.end()));
    const auto label = policy_digest(canonical_);
    *r.mutable_ciphertext() = proto::to_proto(cluster_.encrypt(std::string(label.begin(), label.end()), secret));
    r.set_registered_unix_ms(cluster_.clock.now);
    proto::sign_registration(r, enclave_);
    for (auto& n : cluster_.nodes) {
      auto answer = n->router->handle("POST", "/v1/registrations", to_json(r));
      EXPECT_EQ(answer.status, 200u) << answer.body;
    }
    return proto::check_registration(r).value().key_id;
  }
  PolicyGroup silent_then(std::vector<Ed25519PublicKey> keys, std::uint32_t m) {
    std::sort(keys.begin(), keys.end());
    return PolicyGroup{kDay, Requesters{m, std::move(keys)}, {}, {}, {}};
  }

  void heartbeat(const proto::KeyId& id, std::uint64_t counter, const std::optional<std::string>& rotated = {}) {
    v1::Heartbeat h;
    h.set_key_id(std::string(id.begin(), id.end()));
    h.set_counter(counter);
    h.set_unix_ms(cluster_.clock.now);
    if (rotated) {
      const auto label = policy_digest(canonical_);
      *h.mutable_replacement() = proto::to_proto(cluster_.encrypt(std::string(label.begin(), label.end()), *rotated));
    }
    proto::sign_heartbeat(h, enclave_);
    for (auto& n : cluster_.nodes) {
      auto answer = n->router->handle("POST", "/v1/heartbeats", to_json(h));
      EXPECT_EQ(answer.status, 200u) << answer.body;
    }
  }

  v1::RecoveryRequest request(const proto::KeyId& id, const std::vector<const Ed25519KeyPair*>& signers,
                              std::int64_t valid_ms = 60'000) {
    v1::RecoveryRequest r;
    r.set_key_id(std::string(id.begin(), id.end()));
    r.set_response_key(std::string(response_.public_key.begin(), response_.public_key.end()));
    Bytes nonce(16);
    cluster_.rng().fill(nonce);
    r.set_nonce(std::string(nonce.begin(), nonce.end()));
    r.set_expires_at_unix_ms(cluster_.clock.now + valid_ms);
    r.set_key_epoch(1);
    for (const auto* s : signers) proto::add_recovery_signature(r, *s);
    return r;
  }

  HttpResponse ask(std::size_t node, const v1::RecoveryRequest& r) {
    return cluster_.nodes[node]->router->handle("POST", "/v1/recoveries", to_json(r));
  }
  // Every node refuses with `code`.
  void expect_refused_everywhere(const v1::RecoveryRequest& r, const std::string& code) {
    for (std::size_t i = 0; i < cluster_.nodes.size(); ++i) {
      auto answer = ask(i, r);
      EXPECT_EQ(answer.status, code == "unknown_key" ? 404u : 403u) << answer.body;
      EXPECT_EQ(from_json<v1::ErrorResponse>(answer.body).error(), code) << "node " << i + 1 << ": " << answer.body;
    }
  }
  // Asks the first t nodes, opens and combines their shares.
  std::string recover(const v1::RecoveryRequest& r) {
    std::vector<DecryptionShare<C>> shares;
    std::optional<Tdh2Ciphertext<C>> ct;
    for (std::size_t i = 0; i < 3; ++i) {
      auto answer = ask(i, r);
      EXPECT_EQ(answer.status, 200u) << answer.body;
      if (answer.status != 200) return "";
      const auto response = from_json<v1::RecoveryResponse>(answer.body);
      ct = proto::from_proto<C>(response.ciphertext()).value();
      const auto digest = tdh2_ciphertext_digest(*ct);
      EXPECT_EQ(response.share().ciphertext_digest(), std::string(digest.begin(), digest.end()));
      auto share = open_decryption_share<C>(response_.secret_key.span(), as_bytes(response.share().sealed()),
                                            as_bytes(response.share().request_id()), digest,
                                            static_cast<ParticipantIndex>(i + 1));
      EXPECT_TRUE(share.ok()) << share.error().message;
      shares.push_back(std::move(share).value());
    }
    std::vector<Element<C>> publics;
    for (const auto& s : cluster_.dealt().shares) publics.push_back(s.public_share);
    auto combined = tdh2_combine<C>(cluster_.rng(), cluster_.key(), publics, 3, *ct, shares);
    EXPECT_TRUE(combined.ok()) << combined.error().message;
    return combined.ok() ? std::string(combined->plaintext.span().begin(), combined->plaintext.span().end()) : "";
  }
  std::vector<v1::AuditEntry> audit(std::size_t node) {
    auto page = from_json<v1::AuditPage>(cluster_.nodes[node]->router->handle("GET", "/v1/audit?from=1", "").body);
    return {page.entries().begin(), page.entries().end()};
  }

  NodeCluster cluster_;
  Ed25519KeyPair enclave_, admin_, intruder_;
  X25519KeyPair response_ = x25519_generate(cluster_.rng());
  Bytes canonical_;
};

// The mission: alive, refused; silent for less than the timeout, refused;
// silent longer, the admin recovers it and nobody else can.
TEST_F(RecoveryTest, TheAdminRecoversOnlyOnceTheEnclaveHasBeenSilentPastItsTimeout) {
  const auto id = protect(silent_then({admin_.public_key}, 1));
  cluster_.clock.now += kDay / 2;
  heartbeat(id, 1);
  expect_refused_everywhere(request(id, {&admin_}), "enclave_alive");
  cluster_.clock.now += kDay - 1;
  expect_refused_everywhere(request(id, {&admin_}), "enclave_alive");
  cluster_.clock.now += 2;
  expect_refused_everywhere(request(id, {&intruder_}), "not_authorised");
  EXPECT_EQ(recover(request(id, {&admin_})), "the enclave's wallet key");
  // Nodes decide alone: the two that were not asked released nothing.
  EXPECT_EQ(cluster_.nodes[4]->store->protected_secret(id).value()->releases, 0u);
}

// A node decides a deadline only on a clock its peers' clocks (from their
// pings) do not dispute: n - t + 1 of them (3 of node 1's 4 peers here) must
// find it ahead or behind, so the two nodes a recovery can do without
// cannot block it by lying. A group that no deadline decides still grants.
TEST_F(RecoveryTest, ANodeDecidesNoDeadlineOnAClockItsPeersDispute) {
  // Node 1 as vigild runs it: its peers configured, their states from the links.
  auto& node = *cluster_.nodes[0];
  for (ParticipantIndex i = 2; i <= 5; ++i) {
    node.config.peers.push_back(PeerConfig{i, {"127.0.0.1", 9}, cluster_.nodes[i - 1]->identity.public_key});
  }
  node.service =
      std::make_unique<DecryptionService>(node.config.service(), *node.store, cluster_.clock, *node.rng, node.identity);
  ASSERT_TRUE(node.service->load_key().ok());
  node.router = std::make_unique<ApiRouter>(*node.service, *node.metrics);
  const auto id = protect(silent_then({admin_.public_key}, 1));
  cluster_.clock.now += kDay + 1;
  std::vector<PeerState> peers;
  auto set_peers = [&](std::vector<std::int64_t> offsets_ms, std::chrono::seconds age = std::chrono::seconds(0)) {
    peers.clear();
    for (std::size_t i = 0; i < offsets_ms.size(); ++i) {
      PeerState p;
      p.index = static_cast<ParticipantIndex>(i + 2);
      p.connected = true;
      p.clock_offset_ms = offsets_ms[i];
      p.clock_read_at = std::chrono::steady_clock::now() - age;
      peers.push_back(p);
    }
  };
  node.service->set_peer_states([&] { return peers; });
  auto code_of = [&](const v1::RecoveryRequest& r) {
    auto answer = ask(0, r);
    return answer.status == 200 ? std::string("granted") : from_json<v1::ErrorResponse>(answer.body).error();
  };
  constexpr std::int64_t kHour = 3'600'000;
  set_peers({-kHour, -kHour, 0, 0});  // two liars
  EXPECT_EQ(code_of(request(id, {&admin_})), "granted");
  set_peers({-kHour, -kHour, -kHour, 0});
  EXPECT_EQ(code_of(request(id, {&admin_})), "clock_ahead");
  set_peers({kHour, kHour, kHour, -kHour});
  EXPECT_EQ(code_of(request(id, {&admin_})), "clock_behind");
  set_peers({-kHour});  // the only peer that answers decides
  EXPECT_EQ(code_of(request(id, {&admin_})), "clock_ahead");
  set_peers({0, 0, 0, 0}, std::chrono::seconds(30));  // readings from before a clock could have jumped
  EXPECT_EQ(code_of(request(id, {&admin_})), "clock_unverified");
  set_peers({});
  EXPECT_EQ(code_of(request(id, {&admin_})), "clock_unverified");
  set_peers({30'000, -30'000, 0, 59'000});  // within limits.clock_skew_s (60 s)
  EXPECT_EQ(code_of(request(id, {&admin_})), "granted");

  // The admin alone after a day's silence, or the admin and another at any
  // time: while the clock is disputed, only the second group can grant.
  std::vector<Ed25519PublicKey> both{admin_.public_key, intruder_.public_key};
  std::sort(both.begin(), both.end());
  std::vector<PolicyGroup> groups;
  groups.push_back(silent_then({admin_.public_key}, 1));
  groups.push_back(PolicyGroup{{}, Requesters{2, both}, {}, {}, {}});
  const auto two_ways = protect(std::move(groups), "two ways in");
  cluster_.clock.now += kDay + 1;
  set_peers({-kHour, -kHour, -kHour, -kHour});
  EXPECT_EQ(code_of(request(two_ways, {&admin_})), "clock_ahead");
  EXPECT_EQ(code_of(request(two_ways, {&admin_, &intruder_})), "granted");
  const auto entries = audit(0);
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.back().outcome(), "granted");
  EXPECT_NE(entries.back().detail().find("any_of[1]"), std::string::npos) << entries.back().detail();
}

TEST_F(RecoveryTest, EachRefusalNamesItsReason) {
  std::vector<Ed25519KeyPair> holders;
  holders.push_back(ed25519_generate(cluster_.rng()));
  holders.push_back(ed25519_generate(cluster_.rng()));
  const auto id = protect(silent_then({holders[0].public_key, holders[1].public_key}, 2));
  cluster_.clock.now += kDay + 1;
  expect_refused_everywhere(request(id, {&holders[0]}), "not_authorised");  // m - 1 of m
  expect_refused_everywhere(request(id, {&holders[0], &intruder_}), "not_authorised");
  v1::RecoveryRequest expired = request(id, {&holders[0], &holders[1]});
  cluster_.clock.now += 60'001;
  expect_refused_everywhere(expired, "expired");
  v1::RecoveryRequest other_epoch = request(id, {&holders[0], &holders[1]});
  other_epoch.set_key_epoch(2);
  other_epoch.clear_signatures();
  for (const auto* h : {&holders[0], &holders[1]}) proto::add_recovery_signature(other_epoch, *h);
  expect_refused_everywhere(other_epoch, "wrong_epoch");
  proto::KeyId unknown = id;
  unknown[0] ^= 1;
  expect_refused_everywhere(request(unknown, {&holders[0], &holders[1]}), "unknown_key");
  EXPECT_EQ(recover(request(id, {&holders[0], &holders[1]})), "the enclave's wallet key");

  const auto later = protect(PolicyGroup{{}, Requesters{1, {admin_.public_key}}, cluster_.clock.now + kDay, {}, {}},
                             "a time-locked secret");
  expect_refused_everywhere(request(later, {&admin_}), "not_before");
  cluster_.clock.now += kDay;
  EXPECT_EQ(recover(request(later, {&admin_})), "a time-locked secret");
}

// A request signed by someone, or malformed, is an error with the field it
// names; the node keeps serving.
TEST_F(RecoveryTest, MalformedRequestsAreErrorsAndTheNodeKeepsServing) {
  const auto id = protect(silent_then({admin_.public_key}, 1));
  auto& router = *cluster_.nodes[0]->router;
  auto expect = [&](const std::string& body, unsigned status, const std::string& what) {
    auto answer = router.handle("POST", "/v1/recoveries", body);
    EXPECT_EQ(answer.status, status) << body << " -> " << answer.body;
    EXPECT_NE(answer.body.find(what), std::string::npos) << answer.body;
  };
  expect("{", 400, "malformed request body");
  expect("{\"key_id\": 7}", 400, "malformed request body");
  expect("{\"surprise\": 1}", 400, "malformed request body");
  v1::RecoveryRequest r = request(id, {&admin_});
  r.mutable_signatures(0)->mutable_signature()->at(0) ^= 1;
  expect(to_json(r), 403, "signatures[0].signature");
  r = request(id, {&admin_});
  r.set_nonce("short");
  expect(to_json(r), 400, "nonce");
  r = request(id, {});
  expect(to_json(r), 400, "signatures");
  r = request(id, {&admin_, &admin_});
  expect(to_json(r), 400, "signed twice");
  expect(to_json(request(id, {&intruder_})), 403, "signatures[0].key: not a requester of this secret's policy");
  expect(to_json(request(id, {&admin_}, 2 * kDay)), 400, "limits.request_max_age_s");
  EXPECT_EQ(router.handle("GET", "/v1/recoveries", "").status, 405u);
  EXPECT_TRUE(audit(0).empty()) << "malformed requests are not decisions";
  cluster_.clock.now += kDay + 1;
  EXPECT_EQ(recover(request(id, {&admin_})), "the enclave's wallet key");
}

// max_releases 1: the first request is released once per node; a retry of
// it (its answer was lost) gets the same bytes without counting again, also
// after a restart; another request is refused as released.
TEST_F(RecoveryTest, ARequestIsReleasedOnceAndARetryGetsTheSameAnswer) {
  PolicyGroup once = silent_then({admin_.public_key}, 1);
  once.max_releases = 1;
  const auto id = protect(once);
  cluster_.clock.now += kDay + 1;
  const v1::RecoveryRequest first = request(id, {&admin_});
  EXPECT_EQ(recover(first), "the enclave's wallet key");
  const std::string answered = ask(0, first).body;
  EXPECT_EQ(ask(0, first).body, answered) << "a retry gets the same sealed share";
  EXPECT_EQ(cluster_.nodes[0]->store->protected_secret(id).value()->releases, 1u);
  for (std::size_t i = 0; i < 3; ++i) {
    auto refused = ask(i, request(id, {&admin_}));
    EXPECT_EQ(from_json<v1::ErrorResponse>(refused.body).error(), "released") << refused.body;
  }

  // A restarted node (a new service over the same store) still counts the release.
  auto& node = *cluster_.nodes[0];
  DecryptionService restarted(node.config.service(), *node.store, cluster_.clock, cluster_.rng(), node.identity);
  ASSERT_TRUE(restarted.load_key().ok());
  Metrics metrics;
  ApiRouter router(restarted, metrics);
  EXPECT_EQ(router.handle("POST", "/v1/recoveries", to_json(first)).body, answered);
  EXPECT_EQ(from_json<v1::ErrorResponse>(router.handle("POST", "/v1/recoveries", to_json(request(id, {&admin_}))).body)
                .error(),
            "released");
}

// Without a release limit, a new request that reuses a granted request's
// nonce is a replay; the same request again is a retry.
TEST_F(RecoveryTest, ANonceOfAGrantedRequestCannotBeUsedAgain) {
  const auto id = protect(silent_then({admin_.public_key}, 1));
  cluster_.clock.now += kDay + 1;
  const v1::RecoveryRequest first = request(id, {&admin_});
  ASSERT_EQ(ask(0, first).status, 200u);
  v1::RecoveryRequest reused = request(id, {&admin_});
  reused.set_nonce(first.nonce());
  reused.set_expires_at_unix_ms(first.expires_at_unix_ms() + 1);  // otherwise the same request: a retry
  reused.clear_signatures();
  proto::add_recovery_signature(reused, admin_);
  auto answer = ask(0, reused);
  EXPECT_EQ(from_json<v1::ErrorResponse>(answer.body).error(), "replayed") << answer.body;
  EXPECT_EQ(ask(0, first).status, 200u);
  EXPECT_EQ(ask(1, reused).status, 200u) << "node 2 never saw the first: nonces are per node";
}

// A heartbeat that carries a new ciphertext under the same policy rotates
// the secret: a later recovery yields the new one.
TEST_F(RecoveryTest, AHeartbeatRotatesTheProtectedSecret) {
  const auto id = protect(silent_then({admin_.public_key}, 1));
  cluster_.clock.now += 1000;
  heartbeat(id, 1, "the rotated wallet key");
  cluster_.clock.now += kDay + 1;
  EXPECT_EQ(recover(request(id, {&admin_})), "the rotated wallet key");
}

// Every decision on a registered secret is in the node's audit chain, which
// verifies under its identity key, and pages.
TEST_F(RecoveryTest, EveryDecisionIsInTheNodesSignedAuditChain) {
  const auto id = protect(silent_then({admin_.public_key}, 1));
  ask(0, request(id, {&admin_}));
  ask(0, request(id, {&intruder_}));
  cluster_.clock.now += kDay + 1;
  const auto granted = request(id, {&admin_});
  ask(0, granted);
  ask(0, granted);  // a retry: the same answer, no new decision
  proto::KeyId unknown = id;
  unknown[1] ^= 1;
  ask(0, request(unknown, {&admin_}));  // no secret, no decision about one

  const auto entries = audit(0);
  ASSERT_EQ(entries.size(), 2u) << "a stranger's request is no decision: its signature is not even checked";
  EXPECT_EQ(entries[0].outcome(), "enclave_alive");
  ASSERT_EQ(entries[0].signers_size(), 1);
  EXPECT_EQ(entries[0].signers(0), std::string(admin_.public_key.begin(), admin_.public_key.end()));
  EXPECT_EQ(entries[1].outcome(), "granted");
  EXPECT_EQ(entries[1].key_id(), std::string(id.begin(), id.end()));
  const auto digest = proto::check_recovery_request(granted).value().request_digest;
  EXPECT_EQ(entries[1].request_digest(), std::string(digest.begin(), digest.end()));
  proto::AuditChainVerifier chain(cluster_.nodes[0]->identity.public_key);
  for (const auto& e : entries) ASSERT_TRUE(chain.add(e).ok()) << chain.add(e).error().message;

  auto page = from_json<v1::AuditPage>(cluster_.nodes[0]->router->handle("GET", "/v1/audit?from=2&limit=1", "").body);
  ASSERT_EQ(page.entries_size(), 1);
  EXPECT_EQ(page.entries(0).seq(), 2u);
  EXPECT_EQ(page.head_seq(), 2u);
  EXPECT_EQ(page.head_hash(), std::string(chain.head().begin(), chain.head().end()));
  EXPECT_EQ(cluster_.nodes[0]->router->handle("GET", "/v1/audit?from=x", "").status, 400u);
  EXPECT_EQ(cluster_.nodes[0]->router->handle("POST", "/v1/audit", "").status, 405u);
  EXPECT_TRUE(audit(1).empty()) << "node 2 decided nothing";
}

// Attested recovery: a fresh TD of the same image gets the secret with no
// signature at all, each node verifying its quote (here in the synthetic
// DCAP world of the tests, whose root the nodes are given) and that its
// report data binds the request; anything else is refused "not_attested"
// with the reason, and an unsigned request that does not attest leaves no
// trace in the audit chain.
class AttestedRecoveryTest : public RecoveryTest {
 protected:
  AttestedRecoveryTest() : world_((cluster_.clock.now = 1'790'000'000'000, dcap::Tee::kTdx), 1'790'000'000) {
    cluster_.trust_collateral(world_.collateral_json(), world_.root_der());
  }

  // A request for `id` carrying a quote of `td` that binds it.
  v1::RecoveryRequest attested_request(const proto::KeyId& id, dcap::TdReport td) {
    v1::RecoveryRequest r = request(id, {});
    const auto group_key = cluster_.dealt().group_public_key().encode();
    td.report_data = proto::attested_report_data(proto::recovery_request_signing_bytes(r), group_key);
    const Bytes quote = world_.quote(td);
    r.set_quote(std::string(quote.begin(), quote.end()));
    return r;
  }
  std::string refusal_message(std::size_t node, const v1::RecoveryRequest& r) {
    return from_json<v1::ErrorResponse>(ask(node, r).body).message();
  }

  vigil::test::SyntheticDcap world_;
};

TEST_F(AttestedRecoveryTest, AFreshTdOfTheSameImageRecoversByItsQuoteAlone) {
  const dcap::TdReport image = world_.td_report();
  Attested same_image;
  same_image.mr_td = image.mr_td;
  same_image.rtmr[1] = image.rtmr[1];
  const auto id = protect(PolicyGroup{{}, {}, {}, {}, same_image});

  const v1::RecoveryRequest r = attested_request(id, image);
  EXPECT_EQ(recover(r), "the enclave's wallet key");
  EXPECT_EQ(audit(0).back().outcome(), "granted");
  const std::size_t entries = audit(0).size();

  // The quote of another request (another nonce, so another binding).
  v1::RecoveryRequest replayed = request(id, {});
  replayed.set_quote(r.quote());
  expect_refused_everywhere(replayed, "not_attested");
  EXPECT_NE(refusal_message(0, replayed).find("report_data: the quote does not bind this request"), std::string::npos);
  // A quote bound to another response key, or to another key id.
  v1::RecoveryRequest other_key = r;
  other_key.set_response_key(std::string(32, 'k'));
  EXPECT_NE(refusal_message(0, other_key).find("report_data: the quote does not bind"), std::string::npos);
  const auto other_id = protect(PolicyGroup{{}, {}, {}, {}, same_image}, "another secret");
  v1::RecoveryRequest other_secret = r;
  other_secret.set_key_id(std::string(other_id.begin(), other_id.end()));
  EXPECT_NE(refusal_message(0, other_secret).find("report_data: the quote does not bind"), std::string::npos);
  // Another image, a debug TD, a status the policy does not accept.
  dcap::TdReport other = image;
  other.rtmr[1][0] ^= 1;
  EXPECT_EQ(refusal_message(0, attested_request(id, other)), "RTMR1 differs from the policy's");
  dcap::TdReport debug = image;
  debug.td_attributes |= 1;
  EXPECT_EQ(refusal_message(0, attested_request(id, debug)), "the quote is of a debug TD");
  // A damaged quote.
  v1::RecoveryRequest damaged = attested_request(id, image);
  damaged.mutable_quote()->at(100) ^= 1;
  EXPECT_EQ(refusal_message(0, damaged), "quote_invalid: signature: does not verify with the attestation key");
  // Only the granted request is in the chain: unsigned requests whose
  // quotes are not of a TD the policy names (however genuine) leave no trace.
  EXPECT_EQ(audit(0).size(), entries);
  EXPECT_NE(audit(0).back().detail().find("attested by the quote"), std::string::npos) << audit(0).back().detail();

  // Forty days on, the collateral is out of date: refused as such until refreshed.
  cluster_.clock.now += 40 * kDay;
  const v1::RecoveryRequest late = attested_request(id, image);
  expect_refused_everywhere(late, "collateral_expired");
}

// An attested TD and a human requester in two groups: the TD at once, the
// admin only after the enclave's silence.
TEST_F(AttestedRecoveryTest, TheAdminWaitsForSilenceWhileTheSameImageNeedNot) {
  Attested same_image;
  same_image.mr_td = world_.td_report().mr_td;
  Policy policy;
  policy.enclave_key = enclave_.public_key;
  policy.any_of.push_back(PolicyGroup{{}, {}, {}, {}, same_image});
  policy.any_of.push_back(silent_then({admin_.public_key}, 1));
  ASSERT_TRUE(check_policy(policy).ok());
  const PolicyDecision admin = evaluate_policy(policy, {cluster_.clock.now,
                                                        cluster_.clock.now,
                                                        {admin_.public_key},
                                                        0,
                                                        std::nullopt,
                                                        "the request carries no quote",
                                                        false});
  EXPECT_EQ(admin.refusal, Refusal::kEnclaveAlive);
  PolicyFacts::Attestation td;
  td.mr_td = world_.td_report().mr_td;
  const PolicyDecision enclave =
      evaluate_policy(policy, {cluster_.clock.now, cluster_.clock.now, {}, 0, td, "", false});
  EXPECT_TRUE(enclave.granted);
  EXPECT_EQ(enclave.group, 0u);
}

}  // namespace
}  // namespace vigil::node
