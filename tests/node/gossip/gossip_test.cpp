// Gossip between in-process nodes over a network the test delivers by
// hand: pushes of accepted registrations and heartbeats, and catch-up from
// a cursor after a node was cut off, in batches of bounded size, with the
// clock injected so that no test waits for a timeout.
#include "node/gossip/gossip.h"

#include <deque>
#include <set>

#include "node/node_fixture.h"
#include "proto/protected_secrets.h"

namespace vigil::node {
namespace {

using test::NodeCluster;
using test::to_json;

constexpr std::int64_t kDay = 86'400'000;

class GossipTest : public ::testing::Test {
 protected:
  GossipTest()
      : cluster_(5, 3, test::temp_dir("gossip")),
        enclave_(ed25519_generate(cluster_.rng())),
        admin_(ed25519_generate(cluster_.rng())) {
    for (std::size_t i = 0; i < cluster_.nodes.size(); ++i) {
      const auto self = static_cast<ParticipantIndex>(i + 1);
      gossips_.push_back(std::make_unique<Gossip>(
          *cluster_.nodes[i]->service, *cluster_.nodes[i]->store,
          [this, self](ParticipantIndex to, const v1::GossipMessage& m) {
            if (cut_.count(self) || cut_.count(to)) return false;
            wire_.push_back({self, to, m});
            return true;
          },
          [this, self] {
            std::vector<ParticipantIndex> up;
            if (cut_.count(self)) return up;
            for (ParticipantIndex p = 1; p <= 5; ++p) {
              if (p != self && !cut_.count(p)) up.push_back(p);
            }
            return up;
          },
          2000));  // small batches: a catch-up takes several
      auto* gossip = gossips_.back().get();
      cluster_.nodes[i]->service->set_spread([gossip](const v1::GossipMessage& m) { gossip->spread(m); });
    }
  }

  // Delivers every message in flight, and those they cause (pushes
  // flushed at once); how many.
  std::size_t deliver() {
    std::size_t delivered = 0;
    for (;;) {
      for (auto& g : gossips_) g->flush();
      if (wire_.empty()) break;
      auto [from, to, m] = std::move(wire_.front());
      wire_.pop_front();
      if (cut_.count(to)) continue;
      gossips_[to - 1]->on_message(from, m);
      ++delivered;
    }
    return delivered;
  }

  v1::Registration registration(const std::string& secret) {
    Policy policy;
    policy.enclave_key = enclave_.public_key;
    policy.any_of.push_back(PolicyGroup{kDay, Requesters{1, {admin_.public_key}}, {}, {}, {}});
    const Bytes canonical = encode_policy(policy);
    const auto label = policy_digest(canonical);
    v1::Registration r;
    r.set_policy(std::string(canonical.begin(), canonical.end()));
    *r.mutable_ciphertext() = proto::to_proto(cluster_.encrypt(std::string(label.begin(), label.end()), secret));
    r.set_registered_unix_ms(cluster_.clock.now);
    proto::sign_registration(r, enclave_);
    return r;
  }
  v1::Heartbeat heartbeat(const proto::KeyId& id, std::uint64_t counter) {
    v1::Heartbeat h;
    h.set_key_id(std::string(id.begin(), id.end()));
    h.set_counter(counter);
    h.set_unix_ms(cluster_.clock.now);
    proto::sign_heartbeat(h, enclave_);
    return h;
  }
  // A secret registered at node 1 with heartbeat `counter`, delivered to every node.
  struct Held {
    v1::Registration registration;
    proto::KeyId id;
    v1::Heartbeat beat;
  };
  Held held_everywhere(std::uint64_t counter) {
    Held h{registration("held everywhere"), {}, {}};
    h.id = proto::check_registration(h.registration).value().key_id;
    cluster_.clock.now += 1000;
    h.beat = heartbeat(h.id, counter);
    EXPECT_TRUE(cluster_.nodes[0]->service->register_secret(h.registration).ok());
    EXPECT_TRUE(cluster_.nodes[0]->service->take_heartbeat(h.beat).ok());
    deliver();
    return h;
  }
  // What node `index` holds of the secret.
  std::optional<ProtectedSecret> held(ParticipantIndex index, const proto::KeyId& id) {
    return cluster_.nodes[index - 1]->store->protected_secret(id).value();
  }
  // The refusal code node `index` answers the admin with ("" when it grants).
  std::string ask(ParticipantIndex index, const proto::KeyId& id) {
    v1::RecoveryRequest r;
    r.set_key_id(std::string(id.begin(), id.end()));
    r.set_response_key(std::string(32, 'r'));
    Bytes nonce(16);
    cluster_.rng().fill(nonce);
    r.set_nonce(std::string(nonce.begin(), nonce.end()));
    r.set_expires_at_unix_ms(cluster_.clock.now + 60'000);
    proto::add_recovery_signature(r, admin_);
    auto outcome = cluster_.nodes[index - 1]->service->recover(r);
    EXPECT_TRUE(outcome.ok()) << outcome.error().message;
    return outcome.ok() ? outcome->refusal : "error";
  }

  struct InFlight {
    ParticipantIndex from, to;
    v1::GossipMessage message;
  };
  NodeCluster cluster_;
  Ed25519KeyPair enclave_, admin_;
  std::vector<std::unique_ptr<Gossip>> gossips_;
  std::deque<InFlight> wire_;
  std::set<ParticipantIndex> cut_;  // nodes without links
};

// A registration and a heartbeat sent to one node reach every node, so a
// heartbeat to one honest node keeps every node from releasing.
TEST_F(GossipTest, WhatOneNodeAcceptsEveryNodeHolds) {
  const v1::Registration r = registration("the wallet key");
  const auto id = proto::check_registration(r).value().key_id;
  ASSERT_TRUE(cluster_.nodes[0]->service->register_secret(r).ok());
  // Node 1 pushes it to its four peers; each takes it and pushes it on, and
  // the copies that arrive after are answered "held already" at no cost.
  EXPECT_EQ(deliver(), 20u);
  cluster_.clock.now += kDay - 1000;
  ASSERT_TRUE(cluster_.nodes[2]->service->take_heartbeat(heartbeat(id, 1)).ok());
  deliver();
  cluster_.clock.now += 2000;  // a day after the registration, 2 s after the heartbeat
  for (ParticipantIndex i = 1; i <= 5; ++i) {
    ASSERT_TRUE(held(i, id).has_value()) << "node " << i;
    EXPECT_EQ(held(i, id)->heartbeat_counter, 1u) << "node " << i;
    EXPECT_EQ(ask(i, id), "enclave_alive") << "node " << i;
  }
  // Forged or replayed heartbeats passed on by a peer are refused like any other.
  v1::GossipMessage forged;
  auto* forged_beat = forged.mutable_pushed()->add_heartbeats();
  *forged_beat = heartbeat(id, 9);
  forged_beat->set_counter(10);
  gossips_[1]->on_message(1, forged);
  EXPECT_EQ(held(2, id)->heartbeat_counter, 1u);
}

// A node cut off during a registration, a heartbeat and a rotation catches
// up when its links come back, in several batches, and advances its cursor
// durably; a restarted node asks only for what is newer.
TEST_F(GossipTest, ANodeCutOffCatchesUpFromItsCursor) {
  cut_ = {5};
  std::vector<proto::KeyId> ids;
  for (int i = 0; i < 6; ++i) {
    const v1::Registration r = registration("secret " + std::to_string(i));
    ids.push_back(proto::check_registration(r).value().key_id);
    ASSERT_TRUE(cluster_.nodes[static_cast<std::size_t>(i % 4)]->service->register_secret(r).ok());
  }
  deliver();
  // A rotation through a heartbeat, then a newer heartbeat without one.
  const std::string label = [&] {
    const auto held1 = held(1, ids[0]).value();
    v1::Registration reg;
    EXPECT_TRUE(reg.ParseFromArray(held1.registration.data(), static_cast<int>(held1.registration.size())));
    return reg.ciphertext().label();
  }();
  v1::Heartbeat rotation = heartbeat(ids[0], 1);
  *rotation.mutable_replacement() = proto::to_proto(cluster_.encrypt(label, "rotated"));
  proto::sign_heartbeat(rotation, enclave_);
  ASSERT_TRUE(cluster_.nodes[0]->service->take_heartbeat(rotation).ok());
  ASSERT_TRUE(cluster_.nodes[0]->service->take_heartbeat(heartbeat(ids[0], 2)).ok());
  deliver();
  EXPECT_FALSE(held(5, ids[0]).has_value());

  // Two days pass: the secrets nobody heartbeats for are long silent.
  cluster_.clock.now += 2 * kDay;
  cut_.clear();
  gossips_[4]->on_link_up(1);
  const std::size_t messages = deliver();
  EXPECT_GE(messages, 4u) << "at least two request and batch rounds";
  for (const auto& id : ids) ASSERT_TRUE(held(5, id).has_value());
  EXPECT_EQ(held(5, ids[0])->heartbeat_counter, 2u);
  EXPECT_EQ(held(5, ids[0])->ciphertext, held(1, ids[0])->ciphertext) << "the rotated ciphertext";
  const std::uint64_t cursor = cluster_.nodes[4]->store->gossip_cursor(1).value().seq;
  EXPECT_EQ(cursor, held(1, ids[0])->gossip_seq) << "up to node 1's newest change";

  // A node that learns a secret late counts its silence from then, not
  // from the registration: a peer that held back the heartbeats cannot make
  // it release at once.
  EXPECT_EQ(ask(1, ids[1]), "");
  EXPECT_EQ(ask(5, ids[1]), "enclave_alive");
  EXPECT_EQ(held(5, ids[1])->heartbeat_unix_ms, cluster_.clock.now);
  // Nor can an old heartbeat a peer passes on late move that back.
  const std::int64_t learned = cluster_.clock.now;
  cluster_.clock.now -= 2 * kDay;
  const v1::Heartbeat old_beat = heartbeat(ids[1], 1);
  cluster_.clock.now = learned;
  ASSERT_TRUE(cluster_.nodes[4]->service->take_heartbeat(old_beat, Origin::kCatchUp).ok());
  EXPECT_EQ(held(5, ids[1])->heartbeat_counter, 1u);
  EXPECT_EQ(held(5, ids[1])->heartbeat_unix_ms, learned) << "the silence timer never moves back";
  EXPECT_EQ(ask(5, ids[1]), "enclave_alive");

  // Nothing new: one request, one empty batch.
  gossips_[4]->on_link_up(1);
  EXPECT_EQ(deliver(), 2u);
  EXPECT_EQ(cluster_.nodes[4]->store->gossip_cursor(1).value().seq, cursor);
}

// A node that took a newer heartbeat before the rotation it missed still
// takes the rotation when it catches up: it must not keep serving the old
// ciphertext. The silence timer stays with the newest heartbeat.
TEST_F(GossipTest, ARotationMissedBeforeANewerHeartbeatIsTakenLate) {
  const v1::Registration r = registration("first");
  const auto id = proto::check_registration(r).value().key_id;
  ASSERT_TRUE(cluster_.nodes[0]->service->register_secret(r).ok());
  deliver();
  cut_ = {5};
  v1::Heartbeat rotation = heartbeat(id, 1);
  *rotation.mutable_replacement() = proto::to_proto(cluster_.encrypt(r.ciphertext().label(), "rotated"));
  proto::sign_heartbeat(rotation, enclave_);
  ASSERT_TRUE(cluster_.nodes[0]->service->take_heartbeat(rotation).ok());
  deliver();
  cluster_.clock.now += 1000;
  const v1::Heartbeat newer = heartbeat(id, 2);
  ASSERT_TRUE(cluster_.nodes[4]->service->take_heartbeat(newer).ok()) << "node 5 hears only the newer one";
  EXPECT_NE(held(5, id)->ciphertext, held(1, id)->ciphertext);
  cut_.clear();
  gossips_[4]->on_link_up(1);
  deliver();
  EXPECT_EQ(held(5, id)->ciphertext, held(1, id)->ciphertext) << "the rotation, taken late";
  EXPECT_EQ(held(5, id)->heartbeat_counter, 2u);
  EXPECT_EQ(held(5, id)->heartbeat_unix_ms, newer.unix_ms()) << "the timer stays with the newest heartbeat";
  // The same rotation again is a replay.
  EXPECT_FALSE(cluster_.nodes[4]->service->take_heartbeat(rotation).ok());
}

// The enclave sends to every node at once, and a peer's push may beat its
// own copy to a node: that copy then dates the silence from the enclave's
// time, as if it had come first. A peer's copy never moves the timer back.
TEST_F(GossipTest, TheEnclavesOwnCopyArrivingAfterAPeersDatesTheSilence) {
  const std::int64_t start = cluster_.clock.now;
  const v1::Registration r = registration("sent to all");
  const auto id = proto::check_registration(r).value().key_id;
  cluster_.clock.now = start + 1000;
  const v1::Heartbeat beat = heartbeat(id, 1);
  cluster_.clock.now = start + 4000;  // both reach node 1 late, still within the skew
  ASSERT_TRUE(cluster_.nodes[0]->service->register_secret(r).ok());
  deliver();
  EXPECT_EQ(held(2, id)->heartbeat_unix_ms, start + 4000) << "learned from a peer: from then";
  EXPECT_FALSE(cluster_.nodes[1]->service->register_secret(r)->created());
  EXPECT_EQ(held(2, id)->heartbeat_unix_ms, start) << "the enclave's own copy: from its time";

  ASSERT_TRUE(cluster_.nodes[0]->service->take_heartbeat(beat).ok());
  deliver();
  EXPECT_EQ(held(3, id)->heartbeat_unix_ms, start + 4000);
  ASSERT_TRUE(cluster_.nodes[2]->service->take_heartbeat(beat).ok());
  EXPECT_EQ(held(3, id)->heartbeat_unix_ms, start + 1000);
  // The registration again, after a heartbeat, dates nothing.
  EXPECT_FALSE(cluster_.nodes[2]->service->register_secret(r)->created());
  EXPECT_EQ(held(3, id)->heartbeat_unix_ms, start + 1000);
  // Nor does the enclave's copy once outside the skew.
  cluster_.clock.now = start + 120'000;
  ASSERT_TRUE(cluster_.nodes[3]->service->take_heartbeat(beat).ok()) << "held already";
  EXPECT_EQ(held(4, id)->heartbeat_unix_ms, start + 4000);
}

// A peer's catch-up passes on every secret the node holds: each is
// recognised without waiting for the disk (the cursor written after the
// batch is made durable with what it read), while an enclave told its retry
// is taken is told so only once that is on disk. A sync per item stalled a
// node's peer work for seconds at every resync under load.
TEST_F(GossipTest, WhatANodeHoldsAlreadyIsRecognisedWithoutWaitingForTheDisk) {
  const auto [r, id, beat] = held_everywhere(1);
  ASSERT_EQ(held(2, id)->heartbeat_counter, 1u);

  // A commit not yet on disk (a ceremony's journal is synced on its own).
  Store& store = *cluster_.nodes[1]->store;
  const Bytes session(16, 7);
  SecretBytes seed(32);
  cluster_.rng().fill(seed.mutable_span());
  ASSERT_TRUE(store.begin_ceremony(session, as_bytes("plan"), seed, cluster_.clock.now).ok());
  ASSERT_TRUE(store.append_ceremony_event(session, 1, Bytes(4, 1)).ok());
  const std::uint64_t synced = store.syncs();
  for (Origin origin : {Origin::kCatchUp, Origin::kPeer}) {
    EXPECT_FALSE(cluster_.nodes[1]->service->register_secret(r, origin)->created());
    EXPECT_TRUE(cluster_.nodes[1]->service->take_heartbeat(beat, origin).ok());
  }
  EXPECT_EQ(store.syncs(), synced) << "a peer's copy of what is held waited for the disk";
  EXPECT_TRUE(cluster_.nodes[1]->service->take_heartbeat(beat).ok());
  EXPECT_EQ(store.syncs(), synced + 1) << "the enclave's retry is acknowledged once what it read is durable";
}

// A catch-up item is skipped, unchecked, only when the node holds exactly
// it: the registration byte for byte under the key id named, and no
// heartbeat or rotation it lacks. Anything else is checked in full.
TEST_F(GossipTest, ACatchUpSkipsOnlyWhatTheNodeHoldsByteForByte) {
  const auto [r, id, beat] = held_everywhere(2);
  ASSERT_EQ(held(2, id)->heartbeat_counter, 2u);
  DecryptionService& service = *cluster_.nodes[1]->service;
  const v1::Heartbeat none;
  EXPECT_TRUE(service.holds(id, r, {&none, &none}));
  EXPECT_TRUE(service.holds(id, r, {&none, &beat}));
  const v1::Heartbeat older = heartbeat(id, 1), newer = heartbeat(id, 3);
  EXPECT_TRUE(service.holds(id, r, {&none, &older})) << "an older heartbeat adds nothing";
  EXPECT_FALSE(service.holds(id, r, {&none, &newer})) << "a newer heartbeat";
  v1::Heartbeat elsewhere = older;
  elsewhere.set_key_id(std::string(32, 'x'));
  EXPECT_FALSE(service.holds(id, r, {&none, &elsewhere})) << "a heartbeat of another secret";
  v1::Heartbeat rotation = heartbeat(id, 1);
  *rotation.mutable_replacement() = proto::to_proto(cluster_.encrypt(r.ciphertext().label(), "rotated"));
  EXPECT_FALSE(service.holds(id, r, {&rotation, &beat})) << "a rotation the node missed";
  const v1::Registration other = registration("another");
  EXPECT_FALSE(service.holds(id, other, {&none, &none})) << "another registration named under a held key id";
  EXPECT_FALSE(service.holds(proto::check_registration(other).value().key_id, other, {&none, &none}));
  EXPECT_FALSE(service.holds(as_bytes("not a key id"), r, {&none, &none}));
}

// Fields a node does not know are not covered by the enclave's signature:
// they are dropped, not kept and passed on (a sender could otherwise pad a
// message past the peer links' frame size).
TEST_F(GossipTest, UnknownFieldsAreNeitherKeptNorPassedOn) {
  v1::Registration padded = registration("the wallet key");
  const std::string plain = padded.SerializeAsString();
  padded.GetReflection()->MutableUnknownFields(&padded)->AddLengthDelimited(99, std::string(100'000, 'x'));
  const auto id = proto::check_registration(padded).value().key_id;
  ASSERT_TRUE(cluster_.nodes[0]->service->register_secret(padded, Origin::kPeer).ok());
  EXPECT_EQ(held(1, id)->registration, Bytes(plain.begin(), plain.end()));
  deliver();
  EXPECT_EQ(held(3, id)->registration, Bytes(plain.begin(), plain.end()));
  // And the padded copy again is the same registration.
  EXPECT_FALSE(cluster_.nodes[0]->service->register_secret(padded, Origin::kPeer)->created());
  // A cursor never moves backwards within one sequence; in another, it
  // starts where that one says.
  const Bytes first(16, 1), second(16, 2);
  ASSERT_TRUE(cluster_.nodes[0]->store->set_gossip_cursor(2, {10, first}).ok());
  ASSERT_TRUE(cluster_.nodes[0]->store->set_gossip_cursor(2, {5, first}).ok());
  EXPECT_EQ(cluster_.nodes[0]->store->gossip_cursor(2).value().seq, 10u);
  ASSERT_TRUE(cluster_.nodes[0]->store->set_gossip_cursor(2, {0, second}).ok());
  EXPECT_EQ(cluster_.nodes[0]->store->gossip_cursor(2).value().seq, 0u);
  EXPECT_EQ(cluster_.nodes[0]->store->gossip_cursor(2).value().sequence_id, second);
}

// A node that holds no key yet (it joins by a resharing) cannot check
// what it is sent: its cursor stays, and it catches up once it has a key.
TEST_F(GossipTest, ANodeWithoutAKeyCatchesUpOnceItHasOne) {
  const v1::Registration r = registration("the wallet key");
  const auto id = proto::check_registration(r).value().key_id;
  ASSERT_TRUE(cluster_.nodes[0]->service->register_secret(r).ok());
  wire_.clear();
  // Node 5 without a key: it does not even ask.
  auto& node5 = *cluster_.nodes[4];
  DecryptionService keyless(node5.config.service(), *node5.store, cluster_.clock, cluster_.rng(), node5.identity);
  Gossip waiting(
      keyless, *node5.store, [&](ParticipantIndex, const v1::GossipMessage&) { return true; },
      [] { return std::vector<ParticipantIndex>{1}; });
  waiting.on_link_up(1);
  v1::GossipMessage batch_from_1;
  {
    Gossip node1(
        *cluster_.nodes[0]->service, *cluster_.nodes[0]->store,
        [&](ParticipantIndex, const v1::GossipMessage& m) {
          batch_from_1 = m;
          return true;
        },
        [] { return std::vector<ParticipantIndex>{5}; });
    v1::GossipMessage request;
    request.mutable_sync_request()->set_after(0);
    node1.on_message(5, request);
  }
  ASSERT_EQ(batch_from_1.sync_batch().items_size(), 1);
  waiting.on_message(1, batch_from_1);
  EXPECT_EQ(node5.store->gossip_cursor(1).value().seq, 0u) << "nothing could be checked, nothing skipped";
  EXPECT_FALSE(held(5, id).has_value());
  // With its key (the fixture's node 5 service), the same batch is taken
  // once node 5 has asked for it.
  gossips_[4]->on_message(1, batch_from_1);
  EXPECT_FALSE(held(5, id).has_value()) << "a batch nobody asked for is dropped";
  gossips_[4]->catch_up(1);
  wire_.clear();
  gossips_[4]->on_message(1, batch_from_1);
  EXPECT_TRUE(held(5, id).has_value());
  EXPECT_EQ(node5.store->gossip_cursor(1).value().seq, batch_from_1.sync_batch().up_to());
}

// A peer whose database was replaced or restored numbers its changes
// anew, under another sequence id: a cursor into its old numbering would
// skip its changes up to there, so the catch-up starts over from its first.
TEST_F(GossipTest, APeerThatNumbersItsChangesAnewIsCaughtUpFromItsFirst) {
  ASSERT_TRUE(cluster_.nodes[0]->service->register_secret(registration("the wallet key")).ok());
  deliver();
  gossips_[4]->on_link_up(1);
  deliver();
  const GossipCursor before = cluster_.nodes[4]->store->gossip_cursor(1).value();
  EXPECT_GT(before.seq, 0u);
  EXPECT_EQ(before.sequence_id, cluster_.nodes[0]->store->gossip_sequence_id().value());
  EXPECT_NE(before.sequence_id, cluster_.nodes[1]->store->gossip_sequence_id().value()) << "one id per database";

  // A sequence id of absurd size is refused, not stored.
  gossips_[4]->catch_up(1);
  wire_.clear();
  v1::GossipMessage oversized;
  oversized.mutable_sync_batch()->set_up_to(before.seq + 5);
  oversized.mutable_sync_batch()->set_sequence_id(std::string(100'000, 'x'));
  gossips_[4]->on_message(1, oversized);
  EXPECT_EQ(cluster_.nodes[4]->store->gossip_cursor(1).value().sequence_id, before.sequence_id);
  EXPECT_EQ(cluster_.nodes[4]->store->gossip_cursor(1).value().seq, before.seq);

  gossips_[4]->catch_up(1);
  wire_.clear();
  v1::GossipMessage renumbered;
  renumbered.mutable_sync_batch()->set_up_to(before.seq);
  renumbered.mutable_sync_batch()->set_sequence_id(std::string(16, 'n'));
  gossips_[4]->on_message(1, renumbered);
  const GossipCursor after = cluster_.nodes[4]->store->gossip_cursor(1).value();
  EXPECT_EQ(after.seq, 0u);
  EXPECT_EQ(after.sequence_id, Bytes(16, 'n'));
  ASSERT_EQ(wire_.size(), 1u);
  EXPECT_EQ(wire_.front().to, 1u);
  EXPECT_TRUE(wire_.front().message.has_sync_request());
  EXPECT_EQ(wire_.front().message.sync_request().after(), 0u) << "asked again from the first change";

  // A peer that renumbers again at once (a liar, or a database restored
  // twice in a minute) is not asked again at once: the next resync asks.
  wire_.clear();
  gossips_[4]->catch_up(1);
  wire_.clear();
  renumbered.mutable_sync_batch()->set_sequence_id(std::string(16, 'm'));
  gossips_[4]->on_message(1, renumbered);
  EXPECT_EQ(cluster_.nodes[4]->store->gossip_cursor(1).value().sequence_id, Bytes(16, 'm'));
  EXPECT_TRUE(wire_.empty()) << "asked again at once";
}

// A peer that floods catch-up requests is answered kAnswerBurst times and
// then at kAnswersPerSecond: each answer is a database read on this node.
TEST_F(GossipTest, APeerFloodingCatchUpRequestsIsAnsweredAtABoundedRate) {
  ASSERT_TRUE(cluster_.nodes[0]->service->register_secret(registration("the wallet key")).ok());
  deliver();
  wire_.clear();
  v1::GossipMessage request;
  request.mutable_sync_request()->set_after(0);
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 500; ++i) gossips_[0]->on_message(5, request);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto answered = static_cast<double>(std::count_if(wire_.begin(), wire_.end(), [](const InFlight& m) {
    return m.to == 5 && m.message.has_sync_batch() && m.message.sync_batch().items_size() == 1;
  }));
  EXPECT_GE(answered, Gossip::kAnswerBurst);
  EXPECT_LE(answered, Gossip::kAnswerBurst + Gossip::kAnswersPerSecond * seconds + 1);
  EXPECT_EQ(gossips_[0]->requests_dropped(), 500 - static_cast<std::uint64_t>(answered));
  // Other peers have allowances of their own.
  wire_.clear();
  gossips_[0]->on_message(4, request);
  EXPECT_EQ(wire_.size(), 1u);
}

// A push dropped on a full outbox is remembered, and with the next flush
// the peer is told to catch up, which brings it what it missed.
TEST_F(GossipTest, APeerThatMissedAPushIsToldToCatchUp) {
  const v1::Registration r = registration("the wallet key");
  const auto id = proto::check_registration(r).value().key_id;
  ASSERT_TRUE(cluster_.nodes[0]->service->register_secret(r).ok());
  gossips_[0]->flush();
  ASSERT_EQ(wire_.size(), 4u);
  std::erase_if(wire_, [](const InFlight& m) { return m.to == 4; });  // lost on node 1's full outbox to node 4
  gossips_[0]->on_dropped(4);
  deliver();
  ASSERT_TRUE(held(4, id).has_value()) << "node 4 caught up (and heard it from the others too)";

  // Node 4 alone missed it, with nobody else to pass it on.
  cut_ = {2, 3, 5};
  const v1::Registration second = registration("another key");
  const auto second_id = proto::check_registration(second).value().key_id;
  ASSERT_TRUE(cluster_.nodes[0]->service->register_secret(second).ok());
  gossips_[0]->flush();
  wire_.clear();
  gossips_[0]->on_dropped(4);
  gossips_[0]->flush();
  ASSERT_EQ(wire_.size(), 1u);
  EXPECT_TRUE(wire_.front().message.has_catch_up());
  deliver();
  EXPECT_TRUE(held(4, second_id).has_value());
}

// What a peer sends is checked like what an enclave sends: a catch-up batch
// of forged, foreign, replayed and empty items takes none of them, the
// good item among them is still taken, the cursor moves past the bad ones
// (asking again would bring the same), and the node keeps serving.
TEST_F(GossipTest, ABatchOfBadItemsFromAPeerTakesNoneOfThem) {
  const v1::Registration good = registration("the wallet key");
  const auto id = proto::check_registration(good).value().key_id;
  v1::GossipMessage m;
  auto* batch = m.mutable_sync_batch();
  batch->add_items();  // empty
  v1::Registration forged = registration("forged");
  forged.set_registered_unix_ms(forged.registered_unix_ms() + 1);  // no longer what the enclave signed
  *batch->add_items()->mutable_registration() = forged;
  const Ed25519KeyPair stranger = ed25519_generate(cluster_.rng());
  v1::Registration foreign = registration("a stranger's");
  foreign.set_registered_unix_ms(cluster_.clock.now + 10 * kDay);  // from the future, signed anew
  proto::sign_registration(foreign, enclave_);
  *batch->add_items()->mutable_registration() = foreign;
  auto* item = batch->add_items();
  *item->mutable_registration() = good;
  *item->mutable_heartbeat() = heartbeat(id, 3);
  item->mutable_heartbeat()->set_unix_ms(cluster_.clock.now + 1);  // breaks its signature
  v1::Heartbeat unknown = heartbeat(id, 4);
  unknown.set_key_id(std::string(32, 'k'));
  proto::sign_heartbeat(unknown, stranger);
  *batch->add_items()->mutable_heartbeat() = unknown;  // a heartbeat without its registration
  batch->set_up_to(77);

  gossips_[1]->catch_up(1);
  wire_.clear();
  gossips_[1]->on_message(1, m);
  ASSERT_TRUE(held(2, id).has_value()) << "the good registration is taken";
  EXPECT_EQ(held(2, id)->heartbeat_counter, 0u) << "its mis-signed heartbeat is not";
  EXPECT_FALSE(held(2, proto::check_registration(foreign).value().key_id).has_value());
  EXPECT_EQ(cluster_.nodes[1]->store->protected_secret_count().value(), 1);
  EXPECT_EQ(cluster_.nodes[1]->store->gossip_cursor(1).value().seq, 77u);
  EXPECT_EQ(ask(2, id), "enclave_alive") << "the node still serves";

  // An empty batch that claims there is more ends the chain (an honest peer
  // sends at least one item then): a peer cannot keep this node asking.
  gossips_[1]->catch_up(1);
  wire_.clear();
  v1::GossipMessage empty;
  empty.mutable_sync_batch()->set_up_to(78);
  empty.mutable_sync_batch()->set_more(true);
  gossips_[1]->on_message(1, empty);
  EXPECT_TRUE(wire_.empty());
}

}  // namespace
}  // namespace vigil::node
