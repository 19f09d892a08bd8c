#include "node/ceremony/ceremony.h"

#include <set>

#include "node/release/node_key.h"
#include "proto/codec.h"
#include "vigil/byte_writer.h"
#include "vigil/hash.h"

namespace vigil::node {

const char* ceremony_phase_name(CeremonyPhase phase) {
  switch (phase) {
    case CeremonyPhase::kDeal: return "deal";
    case CeremonyPhase::kComplain: return "complain";
    case CeremonyPhase::kJustify: return "justify";
    case CeremonyPhase::kConfirm: return "confirm";
    case CeremonyPhase::kDone: return "done";
    case CeremonyPhase::kFailed: return "failed";
  }
  return "unknown";
}

namespace {

using proto::Digest;

template <std::size_t N>
std::string str(const std::array<std::uint8_t, N>& b) {
  return std::string(b.begin(), b.end());
}

Error refused(ParticipantIndex from, const std::string& why) {
  return make_error(ErrorCode::kProtocolAbort, "node " + std::to_string(from) + ": " + why, from);
}

// The phase a message belongs to.
CeremonyPhase phase_of(const v1::CeremonyMessage& m) {
  switch (m.body_case()) {
    case v1::CeremonyMessage::kDealing:
    case v1::CeremonyMessage::kShare: return CeremonyPhase::kDeal;
    case v1::CeremonyMessage::kComplaints: return CeremonyPhase::kComplain;
    case v1::CeremonyMessage::kJustification: return CeremonyPhase::kJustify;
    case v1::CeremonyMessage::kConfirmation: return CeremonyPhase::kConfirm;
    default: return CeremonyPhase::kFailed;
  }
}

template <Curve C>
class CeremonyImpl final : public Ceremony {
 public:
  CeremonyImpl(CeremonyInputs in, DkgParticipant<C> participant)
      : in_(std::move(in)), participant_(std::move(participant)) {}

  Status start() override {
    if (!in_.plan.is_dealer(in_.self)) return {};
    StreamRng rng(in_.seed.span().first<32>());
    VIGIL_ASSIGN_OR_RETURN(auto deal, participant_.deal(rng));
    v1::CeremonyMessage dealing = envelope();
    *dealing.mutable_dealing() = proto::to_proto(deal.dealing);
    broadcast(dealing);
    for (const auto& share : deal.shares) {
      v1::CeremonyMessage m = envelope();
      *m.mutable_share() = proto::to_proto(share);
      send(share.recipient, std::move(m));
    }
    advance();
    return {};
  }

  Result<bool> receive(ParticipantIndex from, const v1::CeremonyMessage& m) override {
    if (over()) return false;
    if (!std::ranges::equal(as_bytes(m.session_id()), in_.plan.session_id)) {
      return false;  // another session's message: never mixed into this one
    }
    if (!in_.plan.is_member(from) || from == in_.self) return refused(from, "is not a member of this ceremony");
    VIGIL_RETURN_IF_ERROR(check_author(from, m));
    const CeremonyPhase belongs = phase_of(m);
    if (belongs < phase_) return false;  // its phase has ended
    ByteWriter w;
    w.u32(from).field(as_bytes(m.SerializeAsString()));
    const Digest digest = sha256(w.bytes());
    if (seen_.count(digest)) return false;
    // Each peer sends each kind of message once (justifications: once per
    // complaint), so neither the journal nor the inbox can grow past that.
    const auto kind = static_cast<int>(m.body_case());
    const std::size_t allowed = m.has_justification() ? in_.plan.parties : 1;
    if (++counts_[{from, kind}] > allowed) {
      --counts_[{from, kind}];
      return refused(from, "sent more messages of one kind than the protocol allows");
    }
    seen_.insert(digest);
    if (belongs > phase_) {
      inbox_[belongs].emplace_back(from, m);
    } else {
      process(from, m);
      advance();
    }
    return true;
  }

  bool tick(std::int64_t now) override {
    if (over() || now < deadline_unix_ms()) return false;
    end_phase();
    advance();
    return true;
  }

  std::vector<CeremonyOutgoing> take_outbox() override { return std::exchange(outbox_, {}); }
  std::vector<std::pair<ParticipantIndex, std::string>> take_faults() override { return std::exchange(faults_, {}); }

  std::vector<v1::CeremonyMessage> sent_to(ParticipantIndex peer) const override {
    auto it = sent_.find(peer);
    return it == sent_.end() ? std::vector<v1::CeremonyMessage>{} : it->second;
  }

  CeremonyPhase phase() const override { return phase_; }

  std::int64_t deadline_unix_ms() const override {
    const auto k = std::min(static_cast<int>(phase_), static_cast<int>(CeremonyPhase::kConfirm));
    return in_.accepted_unix_ms + k * in_.plan.phase_timeout.count();
  }

  v1::CeremonyStatus status() const override {
    v1::CeremonyStatus s;
    s.set_session_id(str(in_.plan.session_id));
    s.set_kind(in_.plan.reshare ? v1::CEREMONY_KIND_RESHARE : v1::CEREMONY_KIND_DKG);
    s.set_state(phase_ == CeremonyPhase::kDone ? "done" : phase_ == CeremonyPhase::kFailed ? "failed" : "running");
    s.set_phase(ceremony_phase_name(phase_));
    s.set_epoch(in_.plan.epoch);
    s.set_parties(static_cast<std::uint32_t>(in_.plan.parties));
    s.set_threshold(static_cast<std::uint32_t>(in_.plan.threshold));
    for (ParticipantIndex i : waiting_for()) s.add_waiting_for(i);
    s.set_error(phase_ == CeremonyPhase::kDone && !dissent_.empty() ? "nodes " + dissent_ + " confirmed another view"
                                                                    : error_);
    s.set_started_unix_ms(in_.accepted_unix_ms);
    if (result_) {
      for (ParticipantIndex d : result_->excluded) s.add_excluded(d);
      for (const auto& [d, why] : result_->exclusions)
        s.add_exclusion_reasons("node " + std::to_string(d) + ": " + why);
      s.set_group_public_key(str(result_->group_key.encode()));
      s.set_transcript_digest(str(transcript_));
      s.set_confirmations(
          static_cast<std::uint32_t>(confirmations_.size() + (in_.plan.is_recipient(in_.self) ? 1 : 0)));
    }
    return s;
  }

  const std::optional<v1::StoredKey>& key() const override { return key_; }
  const CeremonyPlan& plan() const override { return in_.plan; }

 private:
  v1::CeremonyMessage envelope() const {
    v1::CeremonyMessage m;
    m.set_session_id(str(in_.plan.session_id));
    return m;
  }

  void send(ParticipantIndex to, v1::CeremonyMessage m) {
    sent_[to].push_back(m);
    outbox_.push_back({to, std::move(m)});
  }

  void broadcast(const v1::CeremonyMessage& m) {
    for (ParticipantIndex i : in_.plan.members) {
      if (i != in_.self) send(i, m);
    }
  }

  Status check_author(ParticipantIndex from, const v1::CeremonyMessage& m) const {
    const CeremonyPlan& p = in_.plan;
    switch (m.body_case()) {
      case v1::CeremonyMessage::kDealing:
        if (m.dealing().dealer() != from || !p.is_dealer(from)) return refused(from, "sent a dealing it may not send");
        return {};
      case v1::CeremonyMessage::kShare:
        if (m.share().dealer() != from || !p.is_dealer(from) || m.share().recipient() != in_.self) {
          return refused(from, "sent a share it may not send");
        }
        return {};
      case v1::CeremonyMessage::kComplaints:
        if (m.complaints().complainer() != from || !p.is_recipient(from) ||
            static_cast<std::size_t>(m.complaints().accused_size()) > p.dealers.size()) {
          return refused(from, "sent complaints it may not send");
        }
        return {};
      case v1::CeremonyMessage::kJustification:
        if (m.justification().dealer() != from || !p.is_dealer(from) ||
            !p.is_recipient(m.justification().recipient())) {
          return refused(from, "sent a justification it may not send");
        }
        return {};
      case v1::CeremonyMessage::kConfirmation:
        if (m.confirmation().participant() != from || !p.is_recipient(from)) {
          return refused(from, "sent a confirmation it may not send");
        }
        return {};
      default: return refused(from, "sent an unknown ceremony message");
    }
  }

  void process(ParticipantIndex from, const v1::CeremonyMessage& m) {
    switch (m.body_case()) {
      case v1::CeremonyMessage::kDealing: {
        dealings_from_.insert(from);
        auto dealing = proto::from_proto<C>(m.dealing());
        if (!dealing) {
          note_fault(from, "undecodable dealing: " + dealing.error().message);
          return;
        }
        if (auto s = participant_.receive_dealing(*dealing); !s) note_fault(from, s.error().message);
        return;
      }
      case v1::CeremonyMessage::kShare:
        shares_from_.insert(from);
        (void)participant_.receive_share(proto::from_proto(m.share()));  // a bad share becomes a complaint
        return;
      case v1::CeremonyMessage::kComplaints:
        complaints_from_.insert(from);
        for (std::uint32_t accused : m.complaints().accused()) {
          if (auto s = participant_.receive_complaint({from, accused}); !s) {
            note_fault(from, s.error().message);
            continue;
          }
          if (accused == in_.self && in_.plan.is_dealer(in_.self)) answer_complaint(from);
        }
        return;
      case v1::CeremonyMessage::kJustification: {
        auto j = proto::from_proto<C>(m.justification());
        if (!j) {
          note_fault(from, "undecodable justification: " + j.error().message);
          return;
        }
        (void)participant_.receive_justification(*j);  // a wrong one excludes its dealer
        return;
      }
      case v1::CeremonyMessage::kConfirmation: receive_confirmation(from, m.confirmation()); return;
      default: return;
    }
  }

  // As an accused dealer: reveal the disputed share to everyone, and
  // settle the complaint locally too.
  void answer_complaint(ParticipantIndex complainer) {
    for (auto& j : participant_.justifications()) {
      if (j.recipient != complainer) continue;
      v1::CeremonyMessage m = envelope();
      *m.mutable_justification() = proto::to_proto(j);
      broadcast(m);
      (void)participant_.receive_justification(j);
    }
  }

  void receive_confirmation(ParticipantIndex from, const v1::DkgConfirmation& c) {
    if (c.dealers_size() != c.dealing_digests_size() ||
        static_cast<std::size_t>(c.dealers_size()) > in_.plan.dealers.size()) {
      note_fault(from, "malformed confirmation");
      return;
    }
    DkgConfirmation core{from, {}};
    for (int i = 0; i < c.dealers_size(); ++i) {
      if (c.dealing_digests(i).size() != 32) {
        note_fault(from, "malformed confirmation");
        return;
      }
      Digest d{};
      std::copy(c.dealing_digests(i).begin(), c.dealing_digests(i).end(), d.begin());
      core.dealing_digests.emplace(c.dealers(i), d);
    }
    const Digest transcript =
        proto::ceremony_transcript_digest(in_.plan, as_bytes(c.group_public_key()), core.dealing_digests);
    if (!ed25519_verify(in_.identities.at(from), proto::ceremony_confirmation_signing_bytes(transcript, from),
                        as_bytes(c.signature()))) {
      note_fault(from, "confirmation signature does not verify");
      return;
    }
    confirmations_.emplace(from, Received{std::move(core), transcript});
  }

  void note_fault(ParticipantIndex from, const std::string& why) { faults_.emplace_back(from, why); }

  std::vector<ParticipantIndex> waiting_for() const {
    std::vector<ParticipantIndex> out;
    const CeremonyPlan& p = in_.plan;
    switch (phase_) {
      case CeremonyPhase::kDeal:
        for (ParticipantIndex d : p.dealers) {
          if (d == in_.self) continue;
          if (!dealings_from_.count(d) || (p.is_recipient(in_.self) && !shares_from_.count(d))) out.push_back(d);
        }
        break;
      case CeremonyPhase::kComplain:
        for (ParticipantIndex r = 1; r <= p.parties; ++r) {
          if (r != in_.self && !complaints_from_.count(r)) out.push_back(r);
        }
        break;
      case CeremonyPhase::kJustify:
        if (participant_.unanswered_complaints() > 0) out = p.dealers;  // the accused are among them
        break;
      case CeremonyPhase::kConfirm:
        for (ParticipantIndex r = 1; r <= p.parties; ++r) {
          if (r != in_.self && !confirmations_.count(r)) out.push_back(r);
        }
        break;
      default: break;
    }
    return out;
  }

  bool phase_complete() const {
    if (phase_ == CeremonyPhase::kJustify) return participant_.unanswered_complaints() == 0;
    return waiting_for().empty();
  }

  void advance() {
    while (!over() && phase_complete()) end_phase();
  }

  void enter(CeremonyPhase next) {
    phase_ = next;
    auto pending = std::move(inbox_[next]);
    inbox_.erase(next);
    for (const auto& [from, m] : pending) process(from, m);
  }

  void end_phase() {
    switch (phase_) {
      case CeremonyPhase::kDeal: {
        const auto complaints = participant_.complaints();
        if (in_.plan.is_recipient(in_.self)) {
          v1::CeremonyMessage m = envelope();
          m.mutable_complaints()->set_complainer(in_.self);
          for (const auto& c : complaints) m.mutable_complaints()->add_accused(c.accused);
          broadcast(m);
        }
        enter(CeremonyPhase::kComplain);
        return;
      }
      case CeremonyPhase::kComplain: enter(CeremonyPhase::kJustify); return;
      case CeremonyPhase::kJustify: finish(); return;
      case CeremonyPhase::kConfirm: conclude(); return;
      default: return;
    }
  }

  void fail(const std::string& why) {
    error_ = why;
    phase_ = CeremonyPhase::kFailed;
  }

  void finish() {
    auto result = participant_.finish();
    if (!result) {
      fail(result.error().message);
      return;
    }
    result_ = std::move(result).value();
    transcript_ =
        proto::ceremony_transcript_digest(in_.plan, result_->group_key.encode(), result_->confirmation.dealing_digests);
    if (in_.plan.is_recipient(in_.self)) {
      v1::CeremonyMessage m = envelope();
      auto* c = m.mutable_confirmation();
      c->set_participant(in_.self);
      for (const auto& [dealer, digest] : result_->confirmation.dealing_digests) {
        c->add_dealers(dealer);
        c->add_dealing_digests(str(digest));
      }
      c->set_group_public_key(str(result_->group_key.encode()));
      c->set_signature(
          str(ed25519_sign(*in_.identity, proto::ceremony_confirmation_signing_bytes(transcript_, in_.self))));
      broadcast(m);
    }
    enter(CeremonyPhase::kConfirm);
  }

  // Done when a majority of the new committee, and at least t, confirmed
  // this node's transcript: with a majority, no two views of one ceremony
  // can both succeed. A dealer whose dealing digests differ between
  // confirmations sent different dealings to different nodes: abort, naming it.
  void conclude() {
    std::map<ParticipantIndex, std::set<Digest>> digests;
    for (const auto& [dealer, digest] : result_->confirmation.dealing_digests) digests[dealer].insert(digest);
    for (const auto& [from, r] : confirmations_) {
      for (const auto& [dealer, digest] : r.confirmation.dealing_digests) digests[dealer].insert(digest);
    }
    for (const auto& [dealer, seen] : digests) {
      if (seen.size() > 1) {
        fail("participant " + std::to_string(dealer) + " sent different dealings to different participants");
        return;
      }
    }
    std::size_t matching = in_.plan.is_recipient(in_.self) ? 1 : 0;
    std::string dissent;
    for (const auto& [from, r] : confirmations_) {
      if (r.transcript == transcript_) {
        ++matching;
      } else {
        dissent += (dissent.empty() ? "" : ", ") + std::to_string(from);
      }
    }
    const std::size_t needed = std::max(in_.plan.threshold, in_.plan.parties / 2 + 1);
    if (matching < needed) {
      fail(std::to_string(matching) + " of " + std::to_string(in_.plan.parties) +
           " nodes confirmed this node's view; " + std::to_string(needed) + " needed" +
           (dissent.empty() ? "" : " (different view: nodes " + dissent + ")"));
      return;
    }
    dissent_ = dissent;
    if (in_.plan.is_recipient(in_.self)) {
      key_ = make_key_record<C>(in_.plan.epoch, result_->commitment, result_->public_shares, result_->share);
    }
    phase_ = CeremonyPhase::kDone;
  }

  struct Received {
    DkgConfirmation confirmation;
    Digest transcript;
  };

  CeremonyInputs in_;
  DkgParticipant<C> participant_;
  CeremonyPhase phase_ = CeremonyPhase::kDeal;
  std::string error_;
  std::set<Digest> seen_;
  std::map<std::pair<ParticipantIndex, int>, std::size_t> counts_;  // (peer, message kind) -> accepted
  std::map<CeremonyPhase, std::vector<std::pair<ParticipantIndex, v1::CeremonyMessage>>> inbox_;
  std::set<ParticipantIndex> dealings_from_, shares_from_, complaints_from_;
  std::map<ParticipantIndex, Received> confirmations_;
  std::vector<std::pair<ParticipantIndex, std::string>> faults_;
  std::optional<DkgResult<C>> result_;
  Digest transcript_{};
  std::string dissent_;  // nodes that confirmed another view
  std::optional<v1::StoredKey> key_;
  std::vector<CeremonyOutgoing> outbox_;
  std::map<ParticipantIndex, std::vector<v1::CeremonyMessage>> sent_;
};

template <Curve C>
Result<std::unique_ptr<Ceremony>> create_for(CeremonyInputs in) {
  const CeremonyPlan& p = in.plan;
  std::vector<X25519PublicKey> recipient_keys;
  for (ParticipantIndex i = 1; i <= p.parties; ++i) {
    VIGIL_ASSIGN_OR_RETURN(X25519PublicKey k, ed25519_public_to_x25519(in.identities.at(i)));
    recipient_keys.push_back(k);
  }
  const X25519KeyPair own = ed25519_to_x25519(*in.identity);
  DkgParameters params{p.session_id, p.parties, p.threshold};
  if (!p.reshare) {
    VIGIL_ASSIGN_OR_RETURN(auto participant, DkgParticipant<C>::create(params, in.self, own.secret_key.clone(),
                                                                       std::move(recipient_keys)));
    return std::unique_ptr<Ceremony>(new CeremonyImpl<C>(std::move(in), std::move(participant)));
  }
  std::vector<Element<C>> old;
  for (const auto& c : p.message.old_commitments()) {
    auto e = Element<C>::decode(as_bytes(c));
    if (!e) return make_error(ErrorCode::kInvalidInput, "ceremony plan: old_commitments: " + e.error().message);
    old.push_back(*e);
  }
  VIGIL_ASSIGN_OR_RETURN(FeldmanCommitment<C> old_commitment, FeldmanCommitment<C>::create(old, old.size()));
  std::optional<SecretShare<C>> old_share;
  if (p.is_dealer(in.self)) {
    if (!in.current_key || in.current_key->epoch() != p.message.old_epoch()) {
      return make_error(ErrorCode::kInvalidInput, "this node is named a dealer but holds no share of epoch " +
                                                      std::to_string(p.message.old_epoch()));
    }
    VIGIL_ASSIGN_OR_RETURN(AnyNodeKey any, node_key_from_record(*in.current_key));
    auto* held = std::get_if<NodeKey<C>>(&any);
    if (held == nullptr) return make_error(ErrorCode::kInvalidInput, "the plan's curve is not this node's key's curve");
    if (held->commitment.elements().size() != old.size() ||
        !std::equal(old.begin(), old.end(), held->commitment.elements().begin())) {
      return make_error(ErrorCode::kInvalidInput, "the plan's old commitments are not those of this node's key");
    }
    old_share = SecretShare<C>{held->share.index, held->share.value.clone()};
  }
  ReshareSource<C> source{std::move(old_commitment), p.message.old_parties(), p.message.old_epoch()};
  const ParticipantIndex new_index = p.is_recipient(in.self) ? in.self : 0;
  VIGIL_ASSIGN_OR_RETURN(auto participant,
                         DkgParticipant<C>::create_reshare(params, std::move(source), std::move(old_share), new_index,
                                                           own.secret_key.clone(), std::move(recipient_keys)));
  return std::unique_ptr<Ceremony>(new CeremonyImpl<C>(std::move(in), std::move(participant)));
}

}  // namespace

Result<std::unique_ptr<Ceremony>> Ceremony::create(CeremonyInputs in) {
  if (in.identity == nullptr) return make_error(ErrorCode::kInvalidInput, "no identity key");
  if (!in.plan.is_member(in.self)) {
    return make_error(ErrorCode::kInvalidInput, "node " + std::to_string(in.self) + " takes no part in this ceremony");
  }
  for (ParticipantIndex m : in.plan.members) {
    if (!in.identities.count(m)) {
      return make_error(ErrorCode::kInvalidInput,
                        "node " + std::to_string(m) + " is in the plan but not a pinned peer of this node");
    }
  }
  if (in.seed.size() != 32) return make_error(ErrorCode::kInvalidInput, "ceremony seed must be 32 bytes");
  const CurveId curve = in.plan.curve;
  return visit_curve(curve, [&](auto c) { return create_for<decltype(c)>(std::move(in)); });
}

}  // namespace vigil::node
