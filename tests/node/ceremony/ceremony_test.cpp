// The node's ceremony state machine (node/ceremony.h) without sockets: n
// parties on threads over an in-memory transport for honest runs, and a
// deterministic network with a manual clock for faults, deadlines and
// replay after a crash.
#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <thread>

#include "node/ceremony/ceremony.h"
#include "node/ceremony/manager.h"
#include "node/release/node_key.h"
#include "support/test_support.h"

namespace vigil::node {
namespace {

constexpr std::int64_t kStart = 1'700'000'000'000;
constexpr std::int64_t kTimeout = 1000;

v1::CeremonyPlan dkg_plan(std::size_t n, std::size_t t, CurveId curve, std::uint8_t session_byte = 7) {
  v1::CeremonyPlan m;
  m.set_version(1);
  m.set_session_id(std::string(32, static_cast<char>(session_byte)));
  m.set_kind(v1::CEREMONY_KIND_DKG);
  m.set_curve(curve == CurveId::kSecp256k1 ? v1::CURVE_SECP256K1 : v1::CURVE_RISTRETTO255);
  m.set_parties(static_cast<std::uint32_t>(n));
  m.set_threshold(static_cast<std::uint32_t>(t));
  m.set_phase_timeout_ms(kTimeout);
  return m;
}

CeremonyPlan parse(const v1::CeremonyPlan& m) {
  auto p = proto::parse_ceremony_plan(as_bytes(m.SerializeAsString()));
  EXPECT_TRUE(p.ok()) << (p ? "" : p.error().message);
  return std::move(p).value();
}

// Identities for nodes 1..count, and each node's ceremony over one plan.
struct Parties {
  std::vector<Ed25519KeyPair> identities;
  std::map<ParticipantIndex, Ed25519PublicKey> public_keys;
  std::map<ParticipantIndex, std::unique_ptr<Ceremony>> nodes;
  std::map<ParticipantIndex, std::optional<v1::StoredKey>> held;  // each node's current key

  explicit Parties(std::size_t count) {
    SeededRng rng(vigil::test::test_seed() + 31);
    for (std::size_t i = 1; i <= count; ++i) {
      identities.push_back(ed25519_generate(rng));
      public_keys.emplace(static_cast<ParticipantIndex>(i), identities.back().public_key);
    }
  }

  // Node i's inputs: its identity, its current key, a seed of its own.
  CeremonyInputs inputs(const CeremonyPlan& plan, ParticipantIndex i) const {
    CeremonyInputs in;
    in.plan = plan;
    in.self = i;
    in.identity = &identities[i - 1];
    in.identities = public_keys;
    if (auto it = held.find(i); it != held.end()) in.current_key = it->second;
    in.seed = SecretBytes(32);
    SeededRng(vigil::test::test_seed() * 1000 + i + plan.epoch * 100).fill(in.seed.mutable_span());
    in.accepted_unix_ms = kStart;
    return in;
  }

  std::unique_ptr<Ceremony> make(const CeremonyPlan& plan, ParticipantIndex i) const {
    auto c = Ceremony::create(inputs(plan, i));
    EXPECT_TRUE(c.ok()) << (c ? "" : c.error().message);
    return std::move(c).value();
  }

  void start(const CeremonyPlan& plan, const std::set<ParticipantIndex>& silent = {}) {
    nodes.clear();
    for (ParticipantIndex i : plan.members) {
      if (silent.count(i)) continue;
      nodes.emplace(i, make(plan, i));
    }
  }
};

// A deterministic network: FIFO delivery, then the clock jumps to the next
// deadline when nothing is in flight. `tamper` may rewrite or drop a message.
struct Network {
  explicit Network(Parties& p) : parties(p) {}
  using Tamper = std::function<bool(ParticipantIndex from, ParticipantIndex to, v1::CeremonyMessage&)>;
  Parties& parties;
  Tamper tamper = [](ParticipantIndex, ParticipantIndex, v1::CeremonyMessage&) { return true; };
  std::deque<std::tuple<ParticipantIndex, ParticipantIndex, v1::CeremonyMessage>> queue;
  std::int64_t now = kStart;

  void collect(ParticipantIndex from, Ceremony& c) {
    for (auto& out : c.take_outbox()) {
      if (tamper(from, out.to, out.message)) queue.emplace_back(from, out.to, std::move(out.message));
    }
  }

  void run() {
    for (auto& [i, c] : parties.nodes) {
      ASSERT_TRUE(c->start().ok());
      collect(i, *c);
    }
    run_started();
  }

  // Delivers until every node is over, moving the clock on when nothing is in flight.
  void run_started() {
    for (int rounds = 0; rounds < 10; ++rounds) {
      while (!queue.empty()) {
        auto [from, to, m] = std::move(queue.front());
        queue.pop_front();
        auto it = parties.nodes.find(to);
        if (it == parties.nodes.end()) continue;
        auto r = it->second->receive(from, m);
        EXPECT_TRUE(r.ok()) << (r ? "" : r.error().message);
        collect(to, *it->second);
      }
      bool running = false;
      for (auto& [i, c] : parties.nodes) {
        running = running || !c->over();
      }
      if (!running) return;
      now += kTimeout;
      for (auto& [i, c] : parties.nodes) {
        c->tick(now);
        collect(i, *c);
      }
    }
    FAIL() << "ceremony did not end";
  }
};

// Every honest node is done with the same key and transcript, and excluded exactly `excluded`.
void expect_agreement(Parties& p, const std::vector<ParticipantIndex>& excluded = {}) {
  std::string group_key, transcript;
  for (auto& [i, c] : p.nodes) {
    if (std::find(excluded.begin(), excluded.end(), i) != excluded.end()) continue;
    const auto s = c->status();
    ASSERT_EQ(s.state(), "done") << "node " << i << ": " << s.error();
    if (group_key.empty()) group_key = s.group_public_key(), transcript = s.transcript_digest();
    EXPECT_EQ(s.group_public_key(), group_key) << "node " << i;
    EXPECT_EQ(s.transcript_digest(), transcript) << "node " << i;
    EXPECT_EQ(std::vector<ParticipantIndex>(s.excluded().begin(), s.excluded().end()), excluded) << "node " << i;
    if (c->plan().is_recipient(i)) {
      ASSERT_TRUE(c->key().has_value());
      auto key = node_key_from_record(*c->key());
      EXPECT_TRUE(key.ok()) << (key ? "" : key.error().message);
      EXPECT_EQ(c->key()->epoch(), c->plan().epoch);
    } else {
      EXPECT_FALSE(c->key().has_value());
    }
  }
}

// ---------------------------------------------------------------- honest runs on threads

struct Shape {
  std::size_t n, t;
  CurveId curve;
};
void PrintTo(const Shape& s, std::ostream* out) { *out << curve_name(s.curve) << " " << s.t << "-of-" << s.n; }

class ThreadedCeremony : public ::testing::TestWithParam<Shape> {};

TEST_P(ThreadedCeremony, AllNodesAgreeOnOneKey) {
  const Shape shape = GetParam();
  Parties parties(shape.n);
  const CeremonyPlan plan = parse(dkg_plan(shape.n, shape.t, shape.curve));
  parties.start(plan);

  struct Mailbox {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<std::pair<ParticipantIndex, v1::CeremonyMessage>> messages;
  };
  std::map<ParticipantIndex, Mailbox> mailboxes;
  for (auto& [i, c] : parties.nodes) mailboxes[i];
  auto post = [&](ParticipantIndex from, Ceremony& c) {
    for (auto& out : c.take_outbox()) {
      auto& box = mailboxes.at(out.to);
      std::lock_guard lock(box.mutex);
      box.messages.emplace_back(from, std::move(out.message));
      box.ready.notify_one();
    }
  };
  std::vector<std::thread> threads;
  for (auto& [index, ceremony] : parties.nodes) {
    threads.emplace_back([&, i = index, c = ceremony.get()] {
      ASSERT_TRUE(c->start().ok());
      post(i, *c);
      auto& box = mailboxes.at(i);
      while (!c->over()) {
        std::unique_lock lock(box.mutex);
        if (!box.ready.wait_for(lock, std::chrono::seconds(30), [&] { return !box.messages.empty(); })) {
          ADD_FAILURE() << "node " << i << " starved in phase " << ceremony_phase_name(c->phase());
          return;
        }
        auto [from, m] = std::move(box.messages.front());
        box.messages.pop_front();
        lock.unlock();
        auto r = c->receive(from, m);
        EXPECT_TRUE(r.ok()) << (r ? "" : r.error().message);
        post(i, *c);
      }
    });
  }
  for (auto& t : threads) t.join();
  expect_agreement(parties);
}

INSTANTIATE_TEST_SUITE_P(Shapes, ThreadedCeremony,
                         ::testing::Values(Shape{1, 1, CurveId::kRistretto255}, Shape{2, 2, CurveId::kRistretto255},
                                           Shape{3, 2, CurveId::kRistretto255}, Shape{7, 5, CurveId::kRistretto255},
                                           Shape{16, 11, CurveId::kRistretto255}, Shape{3, 2, CurveId::kSecp256k1}),
                         [](const ::testing::TestParamInfo<Shape>& shape) {
                           return std::string(curve_name(shape.param.curve)) + "_" + std::to_string(shape.param.n) +
                                  "_" + std::to_string(shape.param.t);
                         });

// ---------------------------------------------------------------- faults, one per test

bool is(const v1::CeremonyMessage& m, v1::StatementKind kind) {
  return m.has_statement() && m.statement().kind() == kind;
}

// What a faulty author does: change the body of its own statement and sign
// the result, so the change is not a forgery anyone could spot.
template <class Body>
void resign(const Parties& parties, v1::CeremonyMessage& m, const std::function<void(Body&)>& change) {
  Body body;
  ASSERT_TRUE(body.ParseFromString(m.statement().body()));
  change(body);
  const proto::StatementSlot slot{m.statement().author(), m.statement().kind(), m.statement().subject()};
  SessionId session{};
  std::copy(m.session_id().begin(), m.session_id().end(), session.begin());
  *m.mutable_statement() =
      proto::sign_ceremony_statement(session, slot, body.SerializeAsString(), parties.identities[slot.author - 1]);
}

// Dealer 1 deals node 3 a share that does not open, in the bundle everyone sees.
void deal_bad_share_to_3(const Parties& parties, ParticipantIndex from, v1::CeremonyMessage& m) {
  if (from != 1 || !is(m, v1::STATEMENT_KIND_DEALING)) return;
  resign<v1::DkgDealing>(parties, m, [](auto& d) {
    for (auto& share : *d.mutable_shares()) {
      if (share.recipient() == 3) share.mutable_sealed()->back() ^= 1;
    }
  });
}

// A justification whose share does not match its dealer's commitments.
void justify_wrongly(const Parties& parties, v1::CeremonyMessage& m) {
  resign<v1::DkgJustification>(parties, m, [](auto& j) {
    auto bad = Scalar<Ristretto255>::from_u64(12345).encode();
    j.set_share(std::string(bad.begin(), bad.end()));
  });
}

// The property the ceremony promises against one faulty node: every other
// node is done with one key and transcript, and t of them alone hold it.
void expect_safe_without(Parties& p, ParticipantIndex faulty, const std::vector<ParticipantIndex>& excluded = {}) {
  std::string group_key, transcript;
  std::vector<SecretShare<Ristretto255>> shares;
  std::optional<NodeKey<Ristretto255>> any;
  for (auto& [i, c] : p.nodes) {
    if (i == faulty) continue;
    const auto s = c->status();
    ASSERT_EQ(s.state(), "done") << "node " << i << ": " << s.error();
    if (group_key.empty()) group_key = s.group_public_key(), transcript = s.transcript_digest();
    EXPECT_EQ(s.group_public_key(), group_key) << "node " << i;
    EXPECT_EQ(s.transcript_digest(), transcript) << "node " << i;
    EXPECT_EQ(std::vector<ParticipantIndex>(s.excluded().begin(), s.excluded().end()), excluded) << "node " << i;
    if (!c->key()) continue;
    auto key = node_key_from_record(*c->key());
    ASSERT_TRUE(key.ok()) << key.error().message;
    auto& held = std::get<NodeKey<Ristretto255>>(*key);
    shares.push_back({held.share.index, held.share.value.clone()});
    if (!any) any.emplace(std::move(held));
  }
  ASSERT_TRUE(any.has_value());
  ASSERT_GE(shares.size(), any->threshold) << "fewer than t nodes other than node " << faulty << " hold the key";
  shares.resize(any->threshold);
  auto secret = interpolate<Ristretto255>(shares);
  ASSERT_TRUE(secret.ok());
  EXPECT_TRUE(Element<Ristretto255>::base_mult(*secret) == any->commitment.elements().front())
      << "t nodes other than node " << faulty << " do not hold the group key";
}

TEST(Ceremony, SilentDealerIsExcludedOnTheDeadlines) {
  Parties parties(5);
  parties.start(parse(dkg_plan(5, 3, CurveId::kRistretto255)), {4});
  Network net(parties);
  net.run();
  expect_agreement(parties, {4});
  const auto s = parties.nodes.at(1)->status();
  ASSERT_EQ(s.exclusion_reasons_size(), 1);
  EXPECT_EQ(s.exclusion_reasons(0), "node 4: sent no dealing");
}

TEST(Ceremony, NodeSilentAfterDealingStaysQualified) {
  Parties parties(5);
  parties.start(parse(dkg_plan(5, 3, CurveId::kRistretto255)));
  Network net(parties);
  net.tamper = [](ParticipantIndex from, ParticipantIndex, v1::CeremonyMessage& m) {
    return from != 2 || is(m, v1::STATEMENT_KIND_DEALING);
  };
  net.run();
  // Node 2 dealt, then said nothing: its dealing counts, and 4 confirmations suffice.
  expect_safe_without(parties, 2);
}

// The review's finding: node 5's dealing reached nodes 1 and 2 only (it
// withheld it, and its links to 3 and 4 are down throughout). Nodes 3 and 4
// get it from 1 and 2, and node 5 gets theirs the same way.
TEST(Ceremony, DealingWithheldFromTwoNodesReachesThemThroughTheOthers) {
  Parties parties(5);
  parties.start(parse(dkg_plan(5, 3, CurveId::kRistretto255)));
  Network net(parties);
  net.tamper = [](ParticipantIndex from, ParticipantIndex to, v1::CeremonyMessage&) {
    const bool cut = (from == 5 && (to == 3 || to == 4)) || (to == 5 && (from == 3 || from == 4));
    return !cut;
  };
  net.run();
  expect_safe_without(parties, 5);
  EXPECT_EQ(parties.nodes.at(5)->status().state(), "done") << "node 5 is cut off from two peers, not from the cluster";
}

// Nodes 3 and 4 see node 5's dealing A, nodes 1 and 2 its dealing B, both
// valid and signed. Whoever sees both signatures has the proof, and the
// echoes show it to all.
TEST(Ceremony, EquivocatingDealerIsLeftOutByEveryNode) {
  Parties parties(5);
  const CeremonyPlan plan = parse(dkg_plan(5, 3, CurveId::kRistretto255));
  parties.start(plan);
  CeremonyInputs in = parties.inputs(plan, 5);
  in.seed.mutable_span()[0] ^= 0xEE;  // another dealing
  auto twin = Ceremony::create(std::move(in)).value();
  ASSERT_TRUE(twin->start().ok());
  std::optional<v1::CeremonyMessage> other_dealing;
  for (auto& out : twin->take_outbox()) {
    if (is(out.message, v1::STATEMENT_KIND_DEALING)) other_dealing = out.message;
  }
  ASSERT_TRUE(other_dealing.has_value());
  Network net(parties);
  net.tamper = [&](ParticipantIndex from, ParticipantIndex to, v1::CeremonyMessage& m) {
    if (from == 5 && (to == 1 || to == 2) && is(m, v1::STATEMENT_KIND_DEALING)) m = *other_dealing;
    return true;
  };
  net.run();
  expect_safe_without(parties, 5, {5});
  const auto s = parties.nodes.at(1)->status();
  ASSERT_EQ(s.exclusion_reasons_size(), 1);
  EXPECT_EQ(s.exclusion_reasons(0), "node 5: signed two different dealings");
}

// Node 5 confirms the real transcript to nodes 1 and 2 and a made-up one to
// 3 and 4: the made-up one counts nowhere, and every node ends with one key.
TEST(Ceremony, EquivocatingConfirmerCannotSplitTheNodes) {
  Parties parties(5);
  parties.start(parse(dkg_plan(5, 3, CurveId::kRistretto255)));
  Network net(parties);
  net.tamper = [&](ParticipantIndex from, ParticipantIndex to, v1::CeremonyMessage& m) {
    if (from == 5 && (to == 3 || to == 4) && is(m, v1::STATEMENT_KIND_CONFIRMATION)) {
      resign<v1::DkgConfirmation>(parties, m, [](auto& c) { c.set_group_public_key(std::string(32, 'x')); });
    }
    return true;
  };
  net.run();
  expect_safe_without(parties, 5);
  for (ParticipantIndex i : {3, 4}) {
    EXPECT_EQ(parties.nodes.at(i)->status().confirmations(), 4u) << "node " << i << " counted the made-up confirmation";
  }
}

// Node 5's complaint against dealer `accused`, signed by node 5.
v1::CeremonyMessage complaint_by_5(const Parties& parties, ParticipantIndex accused) {
  v1::DkgComplaint c;
  c.set_complainer(5);
  c.set_accused(accused);
  v1::CeremonyMessage m;
  m.set_session_id(std::string(32, 7));
  SessionId session{};
  session.fill(7);
  *m.mutable_statement() = proto::sign_ceremony_statement(session, {5, v1::STATEMENT_KIND_COMPLAINT, accused},
                                                          c.SerializeAsString(), parties.identities[4]);
  return m;
}

// Node 5 accuses dealer 1 before node `shown_to` only, just as it ends the
// deal phase. The accusation reaches everyone through that node; node 1
// answers, and every node settles it the same way, also those that see
// the answer before the complaint.
void complaint_shown_to_one_node(ParticipantIndex shown_to) {
  Parties parties(5);
  parties.start(parse(dkg_plan(5, 3, CurveId::kRistretto255)));
  Network net(parties);
  bool injected = false;
  net.tamper = [&](ParticipantIndex from, ParticipantIndex to, v1::CeremonyMessage& m) {
    if (from == 5 && to == shown_to && m.has_echo() && !injected) {
      net.queue.emplace_back(5, shown_to, complaint_by_5(parties, 1));
      injected = true;
    }
    return true;
  };
  net.run();
  EXPECT_TRUE(injected);
  expect_safe_without(parties, 5);
}

TEST(Ceremony, ComplaintShownToOneNodeIsSettledByAll) { complaint_shown_to_one_node(2); }
TEST(Ceremony, ComplaintShownOnlyToTheAccusedIsSettledByAll) { complaint_shown_to_one_node(1); }

// A complaint its author sends a node only after that node moved on counts
// nowhere: late, it would count only where it landed.
TEST(Ceremony, ComplaintSentLateByItsAuthorCountsNowhere) {
  Parties parties(5);
  parties.start(parse(dkg_plan(5, 3, CurveId::kRistretto255)));
  Ceremony& node2 = *parties.nodes.at(2);
  Network net(parties);
  bool injected = false;
  net.tamper = [&](ParticipantIndex from, ParticipantIndex to, v1::CeremonyMessage& m) {
    if (from == 5 && to == 2 && !injected && node2.phase() == CeremonyPhase::kJustify) {
      net.queue.emplace_front(5, 2, complaint_by_5(parties, 1));
      injected = true;
    }
    return !(m.has_echo() && from == 5 && to == 2 && m.echo().phase_ended() == 2 && !injected);
  };
  net.run();
  expect_safe_without(parties, 5);
}

// 2-of-3, where every confirmation is needed: node 3 confirms the real
// transcript to node 1 and another to node 2, and withholds its own
// certificate from node 2. Node 1 counts three and is done; node 2 counts
// node 3's real confirmation from node 1's certificate, even though it
// fails on its deadline first.
TEST(Ceremony, ConfirmerEquivocatingWhereAllAreNeededCannotSplitIt) {
  Parties parties(3);
  parties.start(parse(dkg_plan(3, 2, CurveId::kRistretto255)));
  Network net(parties);
  std::vector<v1::CeremonyMessage> late;
  net.tamper = [&](ParticipantIndex from, ParticipantIndex to, v1::CeremonyMessage& m) {
    if (from == 3 && to == 2) {
      if (is(m, v1::STATEMENT_KIND_CONFIRMATION)) {
        resign<v1::DkgConfirmation>(parties, m, [](auto& c) { c.set_group_public_key(std::string(32, 'x')); });
      }
      if (m.has_certificate() || (m.has_echo() && m.echo().phase_ended() >= 4)) return false;
    }
    if (from == 1 && to == 2 && (m.has_certificate() || (m.has_echo() && m.echo().phase_ended() >= 4))) {
      late.push_back(m);
      return false;
    }
    return true;
  };
  net.run();
  Ceremony& node2 = *parties.nodes.at(2);
  ASSERT_EQ(node2.status().state(), "awaiting");
  EXPECT_TRUE(node2.awaiting_certificate());
  auto certificate = std::ranges::find_if(late, [](const auto& m) { return m.has_certificate(); });
  ASSERT_NE(certificate, late.end());
  EXPECT_EQ(certificate->certificate().signatures_size(), 3);
  // A forged or altered certificate completes nothing and is blamed on its sender.
  for (const auto& alter : std::vector<std::function<void(v1::CeremonyCertificate&)>>{
           [](auto& c) { (*c.mutable_signatures(2)->mutable_signature())[5] ^= 1; },
           [](auto& c) { c.mutable_transcript()->set_group_public_key(std::string(32, 'y')); },
       }) {
    v1::CeremonyMessage forged = *certificate;
    alter(*forged.mutable_certificate());
    auto refused = node2.receive(3, forged);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().party, 3u);
    EXPECT_TRUE(node2.awaiting_certificate());
  }
  auto r = node2.receive(1, *certificate);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(*r);
  expect_safe_without(parties, 3);
}

// Dealer 1 gave node 3 a bad share (in the bundle everyone sees), then
// answers node 3's complaint with the right share before node 2 only, and
// with a wrong one before nodes 4 and 5: two signed justifications. The
// right one reaches everyone, node 3 included, and settles it everywhere.
TEST(Ceremony, JustificationsShownSelectivelyCannotSplitTheNodes) {
  Parties parties(5);
  parties.start(parse(dkg_plan(5, 3, CurveId::kRistretto255)));
  Network net(parties);
  net.tamper = [&](ParticipantIndex from, ParticipantIndex to, v1::CeremonyMessage& m) {
    deal_bad_share_to_3(parties, from, m);
    if (from == 1 && is(m, v1::STATEMENT_KIND_JUSTIFICATION)) {
      if (to == 3) return false;
      if (to == 4 || to == 5) justify_wrongly(parties, m);
    }
    return true;
  };
  net.run();
  expect_safe_without(parties, 1);
}

// Nodes {1, 2} and {3, 4, 5} cannot reach each other until just before the
// deal phase's deadline; then everything held up arrives.
TEST(Ceremony, PartitionThatHealsWithinTheDeadlinesEndsInOneKey) {
  Parties parties(5);
  parties.start(parse(dkg_plan(5, 3, CurveId::kRistretto255)));
  Network net(parties);
  std::vector<std::tuple<ParticipantIndex, ParticipantIndex, v1::CeremonyMessage>> held;
  net.tamper = [&](ParticipantIndex from, ParticipantIndex to, v1::CeremonyMessage& m) {
    if ((from <= 2) != (to <= 2) && held.size() < 10000) {
      held.emplace_back(from, to, m);
      return false;
    }
    return true;
  };
  for (auto& [i, c] : parties.nodes) {
    ASSERT_TRUE(c->start().ok());
    net.collect(i, *c);
  }
  while (!net.queue.empty()) {
    auto [from, to, m] = std::move(net.queue.front());
    net.queue.pop_front();
    ASSERT_TRUE(parties.nodes.at(to)->receive(from, m).ok());
    net.collect(to, *parties.nodes.at(to));
  }
  for (auto& [i, c] : parties.nodes) EXPECT_EQ(c->phase(), CeremonyPhase::kDeal) << "node " << i;
  net.tamper = [](ParticipantIndex, ParticipantIndex, v1::CeremonyMessage&) { return true; };
  for (auto& h : held) net.queue.push_back(std::move(h));
  net.run_started();
  expect_agreement(parties);
}

TEST(Ceremony, BadShareIsSettledByJustification) {
  Parties parties(4);
  parties.start(parse(dkg_plan(4, 3, CurveId::kRistretto255)));
  Network net(parties);
  net.tamper = [&](ParticipantIndex from, ParticipantIndex, v1::CeremonyMessage& m) {
    deal_bad_share_to_3(parties, from, m);
    return true;
  };
  net.run();
  expect_agreement(parties);
  EXPECT_EQ(net.now, kStart) << "every phase ended early, without a deadline";
}

TEST(Ceremony, WrongJustificationExcludesTheDealer) {
  Parties parties(4);
  parties.start(parse(dkg_plan(4, 2, CurveId::kRistretto255)));
  Network net(parties);
  net.tamper = [&](ParticipantIndex from, ParticipantIndex, v1::CeremonyMessage& m) {
    deal_bad_share_to_3(parties, from, m);
    if (from == 1 && is(m, v1::STATEMENT_KIND_JUSTIFICATION)) justify_wrongly(parties, m);
    return true;
  };
  net.run();
  expect_agreement(parties, {1});
  EXPECT_NE(parties.nodes.at(2)->status().exclusion_reasons(0).find("does not match its commitments"),
            std::string::npos);
}

TEST(Ceremony, AccusedDealerSilentInTheJustifyPhaseIsExcluded) {
  Parties parties(4);
  parties.start(parse(dkg_plan(4, 2, CurveId::kRistretto255)));
  Network net(parties);
  net.tamper = [&](ParticipantIndex from, ParticipantIndex, v1::CeremonyMessage& m) {
    deal_bad_share_to_3(parties, from, m);
    return !(from == 1 && is(m, v1::STATEMENT_KIND_JUSTIFICATION));
  };
  net.run();
  expect_agreement(parties, {1});
}

TEST(Ceremony, BadProofOfKnowledgeExcludesTheDealer) {
  Parties parties(4);
  parties.start(parse(dkg_plan(4, 2, CurveId::kRistretto255)));
  Network net(parties);
  net.tamper = [&](ParticipantIndex from, ParticipantIndex, v1::CeremonyMessage& m) {
    if (from == 2 && is(m, v1::STATEMENT_KIND_DEALING)) {
      resign<v1::DkgDealing>(parties, m, [](auto& d) {
        auto other = Scalar<Ristretto255>::from_u64(99).encode();
        d.set_proof_response(std::string(other.begin(), other.end()));
      });
    }
    return true;
  };
  net.run();
  expect_agreement(parties, {2});
}

TEST(Ceremony, RefusesStatementsNoMemberSigned) {
  Parties parties(3);
  const CeremonyPlan plan = parse(dkg_plan(3, 2, CurveId::kRistretto255));
  parties.start(plan);
  Ceremony& node1 = *parties.nodes.at(1);
  ASSERT_TRUE(node1.start().ok());
  Ceremony& node2 = *parties.nodes.at(2);
  ASSERT_TRUE(node2.start().ok());
  std::optional<v1::CeremonyMessage> dealing;
  for (auto& out : node2.take_outbox()) {
    if (out.to == 1 && is(out.message, v1::STATEMENT_KIND_DEALING)) dealing = out.message;
  }
  ASSERT_TRUE(dealing.has_value());
  // From outside the committee.
  EXPECT_FALSE(node1.receive(9, *dealing).ok());
  // Replayed into another session: ignored, never mixed in.
  v1::CeremonyMessage other = *dealing;
  other.set_session_id(std::string(32, 'x'));
  auto replay = node1.receive(2, other);
  ASSERT_TRUE(replay.ok());
  EXPECT_FALSE(*replay);
  // Altered on the way: the signature no longer verifies; blamed on the sender.
  v1::CeremonyMessage altered = *dealing;
  altered.mutable_statement()->mutable_body()->back() ^= 1;
  auto refused = node1.receive(3, altered);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().party, 3u);
  // Claiming a slot its author has no part in: node 2 cannot answer a complaint against node 3.
  v1::CeremonyMessage misplaced = *dealing;
  misplaced.mutable_statement()->set_kind(v1::STATEMENT_KIND_JUSTIFICATION);
  misplaced.mutable_statement()->set_subject(9);
  EXPECT_FALSE(node1.receive(2, misplaced).ok());
  // Relayed by node 3: node 2's signature is what counts. Then a duplicate.
  EXPECT_TRUE(*node1.receive(3, *dealing));
  EXPECT_FALSE(*node1.receive(2, *dealing));
  // A second body node 2 really signed: accepted as the proof, and node 2 named.
  v1::CeremonyMessage second = *dealing;
  resign<v1::DkgDealing>(parties, second, [](auto& d) { d.set_proof_response(std::string(32, '\x01')); });
  (void)node1.take_faults();
  EXPECT_TRUE(*node1.receive(3, second));
  const auto faults = node1.take_faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].first, 2u);
  EXPECT_EQ(faults[0].second, "signed two different dealings");
  // A third changes nothing: the proof is in hand.
  resign<v1::DkgDealing>(parties, second, [](auto& d) { d.set_proof_response(std::string(32, '\x02')); });
  EXPECT_FALSE(*node1.receive(3, second));
}

// A faulty node echoing many bodies it signed for one slot: the second is
// the proof, and the rest cost nothing, kept or fetched.
TEST(Ceremony, AnAuthorSigningManyBodiesIsCaughtAtTheSecond) {
  Parties parties(3);
  parties.start(parse(dkg_plan(3, 2, CurveId::kRistretto255)));
  Ceremony& node1 = *parties.nodes.at(1);
  ASSERT_TRUE(node1.start().ok());
  (void)node1.take_outbox();
  SessionId session{};
  session.fill(7);
  auto many = [&](int first) {
    // Dealings node 3 signed, relayed by node 2.
    v1::CeremonyMessage echo;
    echo.set_session_id(std::string(32, 7));
    echo.mutable_echo()->set_phase_ended(1);
    for (int i = first; i < first + 20; ++i) {
      v1::DkgDealing d;
      d.set_dealer(3);
      d.set_proof_response(std::to_string(i));
      *echo.mutable_echo()->add_statements() = proto::statement_digest(proto::sign_ceremony_statement(
          session, {3, v1::STATEMENT_KIND_DEALING, 0}, d.SerializeAsString(), parties.identities[2]));
    }
    return echo;
  };
  auto first = node1.receive(2, many(0));
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(*first);
  const auto faults = node1.take_faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0], std::make_pair(ParticipantIndex{3}, std::string("signed two different dealings")));
  int wanted = 0;
  for (const auto& out : node1.take_outbox()) wanted += out.message.fetch().wanted_size();
  EXPECT_EQ(wanted, 1) << "only the first body is worth fetching";
  const auto waiting = node1.status().waiting_for();
  EXPECT_EQ(std::ranges::count(waiting, 3u), 0) << "node 1 does not wait for a dealer it has proof against";
  auto more = node1.receive(2, many(20));
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
  EXPECT_TRUE(node1.take_faults().empty());
  EXPECT_TRUE(node1.take_outbox().empty());
  // More entries than the plan has statements: refused whole, blamed on the relayer.
  v1::CeremonyMessage flood = many(40);
  const v1::CeremonyMessage more_entries = many(60);
  for (const auto& d : more_entries.echo().statements()) *flood.mutable_echo()->add_statements() = d;
  auto refused = node1.receive(2, flood);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().party, 2u);
}

// Every malformed echo, fetch, statement or certificate is refused whole
// with its reason and blamed on the peer that sent it; a badly encoded body
// its author really signed is a fault of the author and counts for nothing.
TEST(Ceremony, RefusesMalformedEchoesFetchesStatementsAndCertificates) {
  Parties parties(3);
  const CeremonyPlan plan = parse(dkg_plan(3, 2, CurveId::kRistretto255));
  parties.start(plan);
  Ceremony& node1 = *parties.nodes.at(1);
  ASSERT_TRUE(node1.start().ok());
  ASSERT_TRUE(parties.nodes.at(3)->start().ok());
  v1::CeremonyMessage dealing_of_3;
  for (auto& out : parties.nodes.at(3)->take_outbox()) {
    if (is(out.message, v1::STATEMENT_KIND_DEALING)) dealing_of_3 = out.message;
  }
  SessionId session{};
  session.fill(7);
  v1::CeremonyMessage base;
  base.set_session_id(std::string(32, 7));
  auto expect_refused = [&](const v1::CeremonyMessage& m, const std::string& why) {
    auto r = node1.receive(2, m);
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_EQ(r.error().party, 2u);
    EXPECT_NE(r.error().message.find(why), std::string::npos) << r.error().message;
  };
  const v1::StatementDigest digest = proto::statement_digest(dealing_of_3.statement());

  v1::CeremonyMessage echo = base;
  *echo.mutable_echo()->add_statements() = digest;
  echo.mutable_echo()->set_phase_ended(9);
  expect_refused(echo, "echoed the end of an unknown phase");
  echo.mutable_echo()->set_phase_ended(1);
  echo.mutable_echo()->mutable_statements(0)->mutable_body_digest()->pop_back();
  expect_refused(echo, "echoed a malformed digest");
  v1::CeremonyMessage own = base;
  own.mutable_echo()->set_phase_ended(1);
  *own.mutable_echo()->add_statements() = proto::statement_digest(
      proto::sign_ceremony_statement(session, {2, v1::STATEMENT_KIND_DEALING, 0}, "body", parties.identities[1]));
  expect_refused(own, "echoed its own statement");

  v1::CeremonyMessage fetch = base;
  *fetch.mutable_fetch()->add_wanted() = digest;
  fetch.mutable_fetch()->mutable_wanted(0)->mutable_body_digest()->pop_back();
  expect_refused(fetch, "asked for a malformed digest");

  v1::DkgDealing huge;
  huge.set_dealer(2);
  huge.set_proof_response(std::string(100000, 'x'));
  v1::CeremonyMessage oversized = base;
  *oversized.mutable_statement() = proto::sign_ceremony_statement(session, {2, v1::STATEMENT_KIND_DEALING, 0},
                                                                  huge.SerializeAsString(), parties.identities[1]);
  expect_refused(oversized, "sent an oversized statement");

  v1::CeremonyMessage certificate = base;
  for (ParticipantIndex i = 1; i <= 4; ++i) certificate.mutable_certificate()->add_signatures()->set_participant(i);
  expect_refused(certificate, "sent an oversized certificate");

  // Node 2's complaint with an extra field it signed: not the one encoding.
  v1::DkgComplaint complaint;
  complaint.set_complainer(2);
  complaint.set_accused(3);
  v1::CeremonyMessage padded = base;
  *padded.mutable_statement() =
      proto::sign_ceremony_statement(session, {2, v1::STATEMENT_KIND_COMPLAINT, 3},
                                     complaint.SerializeAsString() + std::string("\x18\x01", 2), parties.identities[1]);
  (void)node1.take_faults();
  auto r = node1.receive(2, padded);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(*r);
  const auto faults = node1.take_faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0], std::make_pair(ParticipantIndex{2}, std::string("signed a malformed complaint")));
}

TEST(Ceremony, TooManySilentDealersAbortNamingThem) {
  Parties parties(5);
  parties.start(parse(dkg_plan(5, 4, CurveId::kRistretto255)), {2, 5});
  Network net(parties);
  net.run();
  for (auto& [i, c] : parties.nodes) {
    EXPECT_EQ(c->status().state(), "failed");
    EXPECT_NE(c->status().error().find("3 dealers qualified, 4 needed"), std::string::npos) << c->status().error();
  }
}

TEST(Ceremony, SurvivesRandomAndMutatedMessages) {
  Parties parties(3);
  const CeremonyPlan plan = parse(dkg_plan(3, 2, CurveId::kRistretto255));
  parties.start(plan);
  Ceremony& target = *parties.nodes.at(1);
  ASSERT_TRUE(target.start().ok());
  ASSERT_TRUE(parties.nodes.at(2)->start().ok());
  std::vector<std::string> real;
  for (auto& out : parties.nodes.at(2)->take_outbox()) {
    if (out.to == 1) real.push_back(out.message.SerializeAsString());
  }
  // An echo and a fetch from node 2 as well.
  v1::CeremonyMessage echo;
  echo.set_session_id(std::string(32, 7));
  v1::CeremonyMessage first;
  ASSERT_TRUE(first.ParseFromString(real.front()));
  *echo.mutable_echo()->add_statements() = proto::statement_digest(first.statement());
  real.push_back(echo.SerializeAsString());
  v1::CeremonyMessage fetch = echo;
  *fetch.mutable_fetch()->add_wanted() = echo.echo().statements(0);
  real.push_back(fetch.SerializeAsString());
  SeededRng rng(vigil::test::test_seed() + 77);
  auto byte = [&rng] {
    std::uint8_t b = 0;
    rng.fill(std::span(&b, 1));
    return b;
  };
  for (int i = 0; i < 3000; ++i) {
    std::string bytes;
    if (i % 2 == 0) {
      bytes.resize(byte() % 200);
      for (auto& c : bytes) c = static_cast<char>(byte());
    } else {
      bytes = real[static_cast<std::size_t>(i) % real.size()];
      for (int flips = 1 + byte() % 4; flips > 0; --flips)
        bytes[byte() % bytes.size()] ^= static_cast<char>(1 + byte() % 255);
    }
    v1::CeremonyMessage m;
    if (!m.ParseFromString(bytes)) continue;
    (void)target.receive(2, m);  // refused or absorbed, never a crash
    (void)target.take_outbox();
    for (const auto& [peer, what] : target.take_faults()) EXPECT_EQ(peer, 2u) << what;
  }
  // Nothing a mutant did stops the genuine messages from counting.
  for (const auto& r : real) {
    v1::CeremonyMessage m;
    ASSERT_TRUE(m.ParseFromString(r));
    (void)target.receive(2, m);
  }
  EXPECT_NE(target.phase(), CeremonyPhase::kFailed);
}

TEST(Ceremony, UndecodableDealingIsReportedAgainstItsAuthor) {
  Parties parties(3);
  parties.start(parse(dkg_plan(3, 2, CurveId::kRistretto255)));
  Ceremony& target = *parties.nodes.at(1);
  ASSERT_TRUE(target.start().ok());
  v1::DkgDealing dealing;
  dealing.set_dealer(2);
  dealing.add_commitments(std::string(32, '\xff'));  // not a ristretto255 encoding
  v1::CeremonyMessage m;
  m.set_session_id(std::string(32, 7));
  SessionId session{};
  session.fill(7);
  *m.mutable_statement() = proto::sign_ceremony_statement(session, {2, v1::STATEMENT_KIND_DEALING, 0},
                                                          dealing.SerializeAsString(), parties.identities[1]);
  auto r = target.receive(3, m);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r) << "accepted: it is node 2's one dealing, and it is bad";
  const auto faults = target.take_faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].first, 2u);
  EXPECT_NE(faults[0].second.find("undecodable dealing"), std::string::npos) << faults[0].second;
  EXPECT_TRUE(target.take_faults().empty());
}

// ---------------------------------------------------------------- a crash, replayed

TEST(Ceremony, ReplayingTheJournalRebuildsTheSameState) {
  Parties parties(4);
  const CeremonyPlan plan = parse(dkg_plan(4, 3, CurveId::kRistretto255));
  parties.start(plan);
  // Record node 2's inputs until it is killed in the complain phase.
  std::vector<std::pair<ParticipantIndex, v1::CeremonyMessage>> journal;
  Network net(parties);
  bool killed = false;
  net.tamper = [&](ParticipantIndex from, ParticipantIndex to, v1::CeremonyMessage& m) {
    if (to != 2) return true;
    if (killed) return false;  // lost while it was down
    journal.emplace_back(from, m);
    if (m.has_echo()) killed = true;
    return true;
  };
  for (auto& [i, c] : parties.nodes) {
    ASSERT_TRUE(c->start().ok());
    net.collect(i, *c);
  }
  while (!net.queue.empty()) {
    auto [from, to, m] = std::move(net.queue.front());
    net.queue.pop_front();
    ASSERT_TRUE(parties.nodes.at(to)->receive(from, m).ok());
    net.collect(to, *parties.nodes.at(to));
  }
  // Restart node 2 from its seed and journal; the others resend everything ("ready").
  auto reborn = parties.make(plan, 2);
  ASSERT_TRUE(reborn->start().ok());
  for (const auto& [from, m] : journal) (void)reborn->receive(from, m);
  (void)reborn->take_outbox();
  EXPECT_EQ(reborn->phase(), parties.nodes.at(2)->phase());
  parties.nodes.at(2) = std::move(reborn);
  net.tamper = [](ParticipantIndex, ParticipantIndex, v1::CeremonyMessage&) { return true; };
  for (auto& [i, c] : parties.nodes) {
    if (i == 2) continue;
    for (const auto& m : c->sent_to(2)) net.queue.emplace_back(i, 2, m);
  }
  for (const auto& [i, c] : parties.nodes) {
    if (i == 2) continue;
    for (const auto& m : parties.nodes.at(2)->sent_to(i)) net.queue.emplace_back(2, i, m);
  }
  while (!net.queue.empty()) {
    auto [from, to, m] = std::move(net.queue.front());
    net.queue.pop_front();
    ASSERT_TRUE(parties.nodes.at(to)->receive(from, m).ok());
    net.collect(to, *parties.nodes.at(to));
  }
  expect_agreement(parties);
}

// A node whose journal was damaged while it was down keeps running (and
// serving whatever key it has); the ceremony is recorded as failed.
TEST(CeremonyManager, CorruptJournalFailsTheCeremonyNotTheNode) {
  const auto dir = std::filesystem::temp_directory_path() / ("vigil-ceremony-manager-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  SeededRng rng(vigil::test::test_seed() + 5);
  const auto identity = ed25519_generate(rng);
  const auto op = ed25519_generate(rng);
  NodeConfig config;
  config.index = 1;
  config.operators.push_back({"ops", op.public_key});
  SecretBytes master(32);
  rng.fill(master.mutable_span());
  auto store = Store::open(dir / "vigil.db", master.clone()).value();
  const auto request = proto::sign_ceremony_plan(dkg_plan(1, 1, CurveId::kRistretto255), op);
  const Bytes session(32, 7);  // dkg_plan's session id
  SecretBytes seed(32);
  ASSERT_TRUE(store->begin_ceremony(session, as_bytes(request.SerializeAsString()), seed, kStart).ok());
  ASSERT_TRUE(store->append_ceremony_event(session, 0, as_bytes(std::string("\xff\xff\xff", 3))).ok());

  boost::asio::io_context io;
  Metrics metrics;
  struct FixedClock final : Clock {
    std::int64_t now_unix_ms() const override { return kStart; }
  } clock;
  DecryptionService service(config.service(), *store, clock, rng, identity);
  CeremonyManager manager(io, config.ceremonies(), identity, *store, service, metrics, clock, rng);
  manager.set_sender([](ParticipantIndex, const v1::CeremonyMessage&) { return true; });
  ASSERT_TRUE(manager.resume().ok());
  auto status = manager.status();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->state(), "failed");
  EXPECT_NE(status->error().find("the journal is corrupt"), std::string::npos) << status->error();
  auto stored = store->latest_ceremony().value();
  EXPECT_EQ(stored->state, "failed");
  std::filesystem::remove_all(dir);
}

// Node 1's manager in a 2-of-2 DKG with node 2, a Ceremony the test drives:
// node 2 withholds its confirmation (and its certificate) until the test
// releases them, so node 1 fails on its confirm deadline having confirmed.
class AwaitingManager : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("vigil-awaiting-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    SecretBytes master(32);
    rng_.fill(master.mutable_span());
    store_ = Store::open(dir_ / "vigil.db", master.clone()).value();
    settings_.self = 1;
    settings_.peer_identities.emplace(2, parties_.identities[1].public_key);
    settings_.operators.push_back(op_.public_key);
    service_ =
        std::make_unique<DecryptionService>(NodeConfig{}.service(), *store_, clock_, rng_, parties_.identities[0]);
    manager_ = std::make_unique<CeremonyManager>(io_, settings_, parties_.identities[0], *store_, *service_, metrics_,
                                                 clock_, rng_);
    manager_->set_sender([this](ParticipantIndex to, const v1::CeremonyMessage& m) {
      if (to == 2) to_2_.push_back(m);
      return true;
    });
    ASSERT_TRUE(manager_->resume().ok());
  }
  void TearDown() override {
    manager_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A new manager over the same store, as after a restart of the node.
  void restart() {
    manager_ = std::make_unique<CeremonyManager>(io_, settings_, parties_.identities[0], *store_, *service_, metrics_,
                                                 clock_, rng_);
    manager_->set_sender([](ParticipantIndex, const v1::CeremonyMessage&) { return true; });
    ASSERT_TRUE(manager_->resume().ok());
  }

  v1::CeremonyPlan plan(std::uint8_t session_byte) const {
    v1::CeremonyPlan m = dkg_plan(2, 2, CurveId::kRistretto255, session_byte);
    m.set_phase_timeout_ms(100);
    m.set_expires_unix_ms(clock_.now_unix_ms() + 60000);
    return m;
  }

  // Runs the DKG until node 1 awaits a certificate.
  void run_until_awaiting() {
    auto started = manager_->start(proto::sign_ceremony_plan(plan(7), op_));
    ASSERT_TRUE(started.ok()) << started.error().message;
    CeremonyInputs in = parties_.inputs(parse(plan(7)), 2);
    in.accepted_unix_ms = clock_.now_unix_ms();
    node2_ = Ceremony::create(std::move(in)).value();
    ASSERT_TRUE(node2_->start().ok());
    for (int round = 0; round < 50 && manager_->status()->state() == "running"; ++round) {
      for (auto& m : std::exchange(to_2_, {})) (void)node2_->receive(1, m);
      for (auto& out : node2_->take_outbox()) {
        if (is(out.message, v1::STATEMENT_KIND_CONFIRMATION) || out.message.has_certificate()) {
          held_.push_back(out.message);
        } else {
          manager_->on_message(2, out.message);
        }
      }
      io_.run_for(std::chrono::milliseconds(20));
      io_.restart();
    }
    ASSERT_EQ(manager_->status()->state(), "awaiting") << manager_->status()->error();
  }

  std::filesystem::path dir_;
  SeededRng rng_{vigil::test::test_seed() + 11};
  Parties parties_{2};
  Ed25519KeyPair op_ = ed25519_generate(rng_);
  CeremonySettings settings_;
  SystemClock clock_;
  Metrics metrics_;
  boost::asio::io_context io_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<DecryptionService> service_;
  std::unique_ptr<CeremonyManager> manager_;
  std::unique_ptr<Ceremony> node2_;
  std::vector<v1::CeremonyMessage> to_2_, held_;
};

// A member saying "ready" is sent everything again, a few times a second
// at most: one that says it in a loop cannot make the node send without end.
TEST_F(AwaitingManager, AMemberSayingReadyOverAndOverIsAnsweredAFewTimes) {
  run_until_awaiting();
  to_2_.clear();
  v1::CeremonyMessage ready;
  const auto session = parse(plan(7)).session_id;
  ready.set_session_id(std::string(session.begin(), session.end()));
  ready.mutable_ready();
  manager_->on_message(2, ready);
  const std::size_t everything = to_2_.size();
  ASSERT_GT(everything, 0u);
  for (int i = 0; i < 1000; ++i) manager_->on_message(2, ready);
  EXPECT_LE(to_2_.size(), everything * 10) << "resent " << to_2_.size() / everything << " times";
  EXPECT_GE(to_2_.size(), everything * 8);
}

TEST_F(AwaitingManager, ACertificateCompletesItEvenAfterARestart) {
  run_until_awaiting();
  EXPECT_FALSE(store_->latest_key().value().has_value()) << "nothing is stored before a certificate";
  auto other = manager_->start(proto::sign_ceremony_plan(plan(8), op_));
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("abandons_session"), std::string::npos) << other.error().message;

  // A restart rebuilds the awaiting ceremony from its journal.
  restart();
  ASSERT_EQ(manager_->status()->state(), "awaiting");
  const auto certificate = std::ranges::find_if(held_, [](const auto& m) { return m.has_certificate(); });
  ASSERT_NE(certificate, held_.end());
  manager_->on_message(2, *certificate);
  EXPECT_EQ(manager_->status()->state(), "done") << manager_->status()->error();
  auto key = store_->latest_key().value();
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->epoch(), 1u);
  EXPECT_EQ(key->commitments(0), node2_->key()->commitments(0));

  // The outcome as reported is stored with it: a restart reports it whole.
  const v1::CeremonyStatus done = *manager_->status();
  EXPECT_EQ(done.confirmations(), 2u);
  EXPECT_EQ(done.transcript_digest().size(), 32u);
  restart();
  const v1::CeremonyStatus after = *manager_->status();
  EXPECT_EQ(after.state(), "done");
  EXPECT_EQ(after.transcript_digest(), done.transcript_digest());
  EXPECT_EQ(after.group_public_key(), done.group_public_key());
  EXPECT_EQ(after.confirmations(), done.confirmations());
  EXPECT_EQ(after.finished_unix_ms(), done.finished_unix_ms());
  EXPECT_EQ(after.cpu_us(), done.cpu_us());
}

TEST_F(AwaitingManager, APlanPostedAgainGetsItsCeremonysStatus) {
  const v1::StartCeremonyRequest request = proto::sign_ceremony_plan(plan(7), op_);
  auto first = manager_->start(request);
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto again = manager_->start(request);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->session_id(), first->session_id());
  EXPECT_EQ(again->state(), "running");
  EXPECT_EQ(store_->latest_ceremony().value()->accepted_unix_ms, first->started_unix_ms()) << "nothing restarted";
  v1::CeremonyPlan other = plan(7);
  other.set_phase_timeout_ms(200);
  auto refused = manager_->start(proto::sign_ceremony_plan(other, op_));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("with another plan"), std::string::npos) << refused.error().message;
  restart();
  EXPECT_FALSE(manager_->start(proto::sign_ceremony_plan(other, op_)).ok()) << "also after a restart";
  EXPECT_TRUE(manager_->start(request).ok());
}

TEST_F(AwaitingManager, RefusesExpiredPlansAndThresholdsBelowTheFloor) {
  auto refused = [&](const std::function<void(v1::CeremonyPlan&)>& edit, const std::string& expect) {
    v1::CeremonyPlan m = plan(7);
    edit(m);
    auto r = manager_->start(proto::sign_ceremony_plan(m, op_));
    ASSERT_FALSE(r.ok()) << expect;
    EXPECT_NE(r.error().message.find(expect), std::string::npos) << r.error().message;
  };
  refused([&](auto& m) { m.set_expires_unix_ms(clock_.now_unix_ms() - 1000); }, "the plan expired");
  refused([&](auto& m) { m.set_expires_unix_ms(0); }, "the plan expired");
  refused([&](auto& m) { m.set_expires_unix_ms(clock_.now_unix_ms() + 25 * 3600 * 1000LL); },
          "valid for more than 24 hours");
  refused(
      [](auto& m) {
        m.set_parties(4);
        m.set_threshold(2);
      },
      "threshold 2 of 4 is below this node's floor: t must exceed 50% of n");
  settings_.threshold_floor_percent = 0;  // an operator's choice: any t
  restart();
  v1::CeremonyPlan one_of_two = plan(7);
  one_of_two.set_threshold(1);
  auto r = manager_->start(proto::sign_ceremony_plan(one_of_two, op_));
  EXPECT_TRUE(r.ok()) << r.error().message;
}

TEST_F(AwaitingManager, AsksItsPeersAgainUntilACertificateComes) {
  run_until_awaiting();
  auto readies = [&] {
    return std::ranges::count_if(std::exchange(to_2_, {}), [](const auto& m) { return m.has_ready(); });
  };
  (void)readies();
  io_.run_for(std::chrono::milliseconds(350));  // a little over three phase timeouts
  io_.restart();
  EXPECT_GE(readies(), 2) << "a lost certificate is asked for again";
  const auto certificate = std::ranges::find_if(held_, [](const auto& m) { return m.has_certificate(); });
  ASSERT_NE(certificate, held_.end());
  manager_->on_message(2, *certificate);
  ASSERT_EQ(manager_->status()->state(), "done");
  (void)readies();
  io_.run_for(std::chrono::milliseconds(250));
  io_.restart();
  EXPECT_EQ(readies(), 0) << "a node that is done stops asking";
}

TEST_F(AwaitingManager, OnlyAPlanThatAbandonsItStartsAnother) {
  run_until_awaiting();
  v1::CeremonyPlan next = plan(8);
  next.set_abandons_session(std::string(32, 7));
  auto started = manager_->start(proto::sign_ceremony_plan(next, op_));
  ASSERT_TRUE(started.ok()) << started.error().message;
  EXPECT_EQ(started->state(), "running");
}

// ---------------------------------------------------------------- resharing

// After a 3-of-5 DKG among `parties`: a plan resharing it to a t-of-n
// committee, dealt by `dealers`; each node now holds its DKG key.
CeremonyPlan reshare_after_dkg(Parties& parties, std::size_t n, std::size_t t,
                               const std::vector<std::uint32_t>& dealers) {
  v1::CeremonyPlan m = dkg_plan(n, t, CurveId::kRistretto255, 9);
  m.set_kind(v1::CEREMONY_KIND_RESHARE);
  m.set_old_parties(5);
  m.set_old_epoch(1);
  for (const auto& c : parties.nodes.at(1)->key()->commitments()) m.add_old_commitments(c);
  for (std::uint32_t d : dealers) m.add_dealers(d);
  for (auto& [i, c] : parties.nodes) parties.held[i] = c->key();
  return parse(m);
}

TEST(Ceremony, ReshareKeepsTheGroupKeyAndMovesToANewCommittee) {
  Parties parties(7);
  parties.start(parse(dkg_plan(5, 3, CurveId::kRistretto255)));
  Network dkg(parties);
  dkg.run();
  expect_agreement(parties);
  const std::string group_key = parties.nodes.at(1)->status().group_public_key();
  const CeremonyPlan reshare = reshare_after_dkg(parties, 7, 4, {1, 2, 4, 5});  // node 3 is gone
  EXPECT_EQ(reshare.epoch, 2u);
  parties.start(reshare, {3});
  Network net(parties);
  net.run();
  for (auto& [i, c] : parties.nodes) {
    ASSERT_EQ(c->status().state(), "done") << "node " << i << ": " << c->status().error();
    EXPECT_EQ(c->status().group_public_key(), group_key);
    ASSERT_TRUE(c->key().has_value());
    EXPECT_EQ(c->key()->threshold(), 4u);
    EXPECT_EQ(c->key()->public_shares_size(), 7);
  }
}

// The review's finding, in a refresh: node 5's dealing of its old share
// reached nodes 1 and 2 only. Every other node still ends with the same new
// shares of the unchanged key, which t of them hold without node 5.
TEST(Ceremony, ReshareDealingWithheldFromTwoNodesReachesThemThroughTheOthers) {
  Parties parties(5);
  parties.start(parse(dkg_plan(5, 3, CurveId::kRistretto255)));
  Network dkg(parties);
  dkg.run();
  expect_agreement(parties);
  const std::string group_key = parties.nodes.at(1)->status().group_public_key();
  parties.start(reshare_after_dkg(parties, 5, 3, {1, 2, 3, 4, 5}));
  Network net(parties);
  net.tamper = [](ParticipantIndex from, ParticipantIndex to, v1::CeremonyMessage& m) {
    return !(from == 5 && (to == 3 || to == 4) && is(m, v1::STATEMENT_KIND_DEALING));
  };
  net.run();
  expect_safe_without(parties, 5);
  EXPECT_EQ(parties.nodes.at(3)->status().group_public_key(), group_key);
  EXPECT_EQ(parties.nodes.at(3)->status().excluded_size(), 0) << "node 5's dealing counts everywhere";
}

// Once its outcome is stored, a finished ceremony forgets its secrets but
// still reports its outcome and serves fetches.
TEST(Ceremony, ErasingSecretsKeepsTheOutcomeAndForgetsTheShares) {
  Parties parties(5);
  parties.start(parse(dkg_plan(5, 3, CurveId::kRistretto255)));
  Network dkg(parties);
  dkg.run();
  expect_agreement(parties);
  const CeremonyPlan reshare = reshare_after_dkg(parties, 5, 3, {1, 2, 3, 4, 5});
  parties.start(reshare);
  Network net(parties);
  net.run();
  expect_agreement(parties);
  Ceremony& node1 = *parties.nodes.at(1);
  const auto before = node1.status();
  node1.erase_secrets();
  EXPECT_FALSE(node1.key().has_value());
  const auto after = node1.status();
  EXPECT_EQ(after.state(), "done");
  EXPECT_EQ(after.group_public_key(), before.group_public_key());
  EXPECT_EQ(after.transcript_digest(), before.transcript_digest());
  // Its dealing is still there for a peer that asks.
  v1::CeremonyMessage fetch;
  fetch.set_session_id(std::string(32, 9));
  for (const auto& m : node1.sent_to(2)) {
    if (is(m, v1::STATEMENT_KIND_DEALING)) {
      v1::StatementDigest* want = fetch.mutable_fetch()->add_wanted();
      *want = proto::statement_digest(m.statement());
      want->clear_signature();
    }
  }
  ASSERT_EQ(fetch.fetch().wanted_size(), 1);
  ASSERT_TRUE(node1.receive(3, fetch).ok());
  EXPECT_EQ(node1.take_outbox().size(), 1u);
}

TEST(Ceremony, ReshareRefusesADealerWithoutTheOldShare) {
  Parties parties(3);
  v1::CeremonyPlan m = dkg_plan(3, 2, CurveId::kRistretto255);
  m.set_kind(v1::CEREMONY_KIND_RESHARE);
  m.set_old_parties(3);
  m.set_old_epoch(1);
  auto g = Element<Ristretto255>::generator().encode();
  m.add_old_commitments(std::string(g.begin(), g.end()));
  m.add_old_commitments(std::string(g.begin(), g.end()));
  m.add_dealers(1);
  m.add_dealers(2);
  CeremonyInputs in;
  in.plan = parse(m);
  in.self = 1;
  in.identity = &parties.identities[0];
  in.identities = parties.public_keys;
  in.seed = SecretBytes(32);
  auto c = Ceremony::create(std::move(in));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("holds no share of epoch 1"), std::string::npos) << c.error().message;
}

}  // namespace
}  // namespace vigil::node
