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

using proto::StatementSlot;

// Confirmations of one transcript that make it the outcome (see ceremony.h).
std::size_t confirmations_needed(const CeremonyPlan& p) {
  return std::min(p.parties, std::max(p.threshold + 1, (p.parties + 1) / 2 + 1));
}

CeremonyPhase phase_of(v1::StatementKind kind) {
  switch (kind) {
    case v1::STATEMENT_KIND_DEALING: return CeremonyPhase::kDeal;
    case v1::STATEMENT_KIND_COMPLAINTS: return CeremonyPhase::kComplain;
    case v1::STATEMENT_KIND_JUSTIFICATION: return CeremonyPhase::kJustify;
    case v1::STATEMENT_KIND_CONFIRMATION: return CeremonyPhase::kConfirm;
    default: return CeremonyPhase::kFailed;
  }
}

// The last phase in which a statement of `kind` still counts. A complaint
// is answered until the node finishes, so that a complaint relayed a little
// late still reaches the dealer and every node settles it the same way.
CeremonyPhase last_phase_of(v1::StatementKind kind) {
  return kind == v1::STATEMENT_KIND_COMPLAINTS ? CeremonyPhase::kJustify : phase_of(kind);
}

const char* kind_name(v1::StatementKind kind) {
  switch (kind) {
    case v1::STATEMENT_KIND_DEALING: return "dealings";
    case v1::STATEMENT_KIND_COMPLAINTS: return "complaints";
    case v1::STATEMENT_KIND_JUSTIFICATION: return "justifications";
    case v1::STATEMENT_KIND_CONFIRMATION: return "confirmations";
    default: return "statements";
  }
}

template <std::size_t N>
bool to_array(const std::string& bytes, std::array<std::uint8_t, N>& out) {
  if (bytes.size() != N) return false;
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return true;
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
    v1::DkgDealing bundle = proto::to_proto(deal.dealing);
    for (const auto& share : deal.shares) *bundle.add_shares() = proto::to_proto(share);
    publish({in_.self, v1::STATEMENT_KIND_DEALING, 0}, bundle.SerializeAsString());
    advance();
    return {};
  }

  Result<bool> receive(ParticipantIndex from, const v1::CeremonyMessage& m) override {
    if (!std::ranges::equal(as_bytes(m.session_id()), in_.plan.session_id)) {
      return false;  // another session's message: never mixed into this one
    }
    if (!in_.plan.is_member(from) || from == in_.self) return refused(from, "is not a member of this ceremony");
    switch (m.body_case()) {
      case v1::CeremonyMessage::kFetch: return answer_fetch(from, m.fetch());
      case v1::CeremonyMessage::kStatement: return over() ? false : receive_statement(from, m.statement());
      case v1::CeremonyMessage::kEcho: return over() ? false : receive_echo(from, m.echo());
      case v1::CeremonyMessage::kReady: return false;  // the manager answers it
      default: return refused(from, "sent an unknown ceremony message");
    }
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
      s.set_confirmations(static_cast<std::uint32_t>(matching_confirmations()));
    }
    return s;
  }

  const std::optional<v1::StoredKey>& key() const override { return key_; }
  const CeremonyPlan& plan() const override { return in_.plan; }

 private:
  using StatementId = std::pair<StatementSlot, Digest>;

  // ---------------------------------------------------------------- sending

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

  // Signs a statement of this node's, keeps it (to answer fetches) and sends it to every member.
  void publish(const StatementSlot& slot, std::string body) {
    v1::CeremonyMessage m = envelope();
    *m.mutable_statement() = proto::sign_ceremony_statement(in_.plan.session_id, slot, std::move(body), *in_.identity);
    const auto digest = proto::statement_digest(m.statement());
    Digest d{};
    to_array(digest.body_digest(), d);
    known_[slot].emplace(d, digest);
    bodies_.emplace(StatementId{slot, d}, m.statement());
    broadcast(m);
  }

  // Tells every member that this node ended `ended` and what it accepted
  // since it last said so: a member that missed a statement fetches it from
  // here, and one that holds another body for the same slot now has a proof
  // of equivocation.
  void echo(CeremonyPhase ended) {
    v1::CeremonyMessage m = envelope();
    for (auto& d : unechoed_) *m.mutable_echo()->add_statements() = std::move(d);
    unechoed_.clear();
    m.mutable_echo()->set_phase_ended(static_cast<std::uint32_t>(ended));
    broadcast(m);
  }

  // ---------------------------------------------------------------- receiving

  // Whether `slot` names a statement its author may make in this plan. A
  // statement that breaks the rules is the fault of the peer that sent it:
  // an honest node checks before it relays.
  Status check_slot(ParticipantIndex from, const StatementSlot& slot) const {
    const CeremonyPlan& p = in_.plan;
    bool ok = false;
    switch (slot.kind) {
      case v1::STATEMENT_KIND_DEALING: ok = p.is_dealer(slot.author) && slot.subject == 0; break;
      case v1::STATEMENT_KIND_COMPLAINTS: ok = p.is_recipient(slot.author) && slot.subject == 0; break;
      case v1::STATEMENT_KIND_JUSTIFICATION: ok = p.is_dealer(slot.author) && p.is_recipient(slot.subject); break;
      case v1::STATEMENT_KIND_CONFIRMATION: ok = p.is_recipient(slot.author) && slot.subject == 0; break;
      default: break;
    }
    if (!ok) return refused(from, "sent a statement its author may not make");
    return {};
  }

  // Records a signed digest for `slot`. A slot that already held a
  // different one proves its author equivocated, and the proof is echoed;
  // otherwise the digest is echoed once this node holds the body, so that
  // whoever fetches it from here gets it.
  void record(const StatementSlot& slot, const Digest& digest, const v1::StatementDigest& signed_digest,
              bool holds_body) {
    auto& held = known_[slot];
    const bool conflict = !held.empty() && !held.count(digest);
    held.emplace(digest, signed_digest);
    if (holds_body || conflict) unechoed_.push_back(signed_digest);
    if (conflict) equivocated(slot);
  }

  Result<bool> receive_statement(ParticipantIndex from, const v1::CeremonyStatement& s) {
    const StatementSlot slot{s.author(), s.kind(), s.subject()};
    VIGIL_RETURN_IF_ERROR(check_slot(from, slot));
    if (slot.author == in_.self) return false;  // this node's own, back from a peer
    const Digest digest = sha256(as_bytes(s.body()));
    if (bodies_.count({slot, digest})) return false;
    auto signed_digest = proto::statement_digest(s);
    if (!proto::verify_statement_digest(in_.plan.session_id, signed_digest, in_.identities.at(slot.author))) {
      return refused(from, "relayed a statement whose signature does not verify");
    }
    auto& held = known_[slot];
    const bool known_digest = held.count(digest) > 0;
    if (!known_digest && held.size() >= 2) return false;  // a proof is in hand; more bodies add nothing
    if (last_phase_of(slot.kind) < phase_) return false;  // its phase has ended here
    if (known_digest) {
      unechoed_.push_back(signed_digest);  // known from an echo; now held
    } else {
      record(slot, digest, signed_digest, true);
    }
    bodies_.emplace(StatementId{slot, digest}, s);
    missing_.erase({slot, digest});
    // Only the first body of a slot counts, except where every body does.
    if (!processed_.insert(slot).second && !every_body_counts(slot.kind)) return true;
    if (phase_of(slot.kind) > phase_) {
      inbox_[phase_of(slot.kind)].emplace_back(slot, digest);
    } else {
      process(slot, digest);
      advance();
    }
    return true;
  }

  Result<bool> receive_echo(ParticipantIndex from, const v1::CeremonyEcho& e) {
    if (e.phase_ended() < static_cast<std::uint32_t>(CeremonyPhase::kDeal) ||
        e.phase_ended() > static_cast<std::uint32_t>(CeremonyPhase::kConfirm)) {
      return refused(from, "echoed the end of an unknown phase");
    }
    bool changed = false;
    if (auto& ended = phases_ended_[from]; e.phase_ended() > ended) {
      ended = e.phase_ended();
      changed = true;
    }
    v1::CeremonyMessage fetch = envelope();
    for (const auto& d : e.statements()) {
      const StatementSlot slot{d.author(), d.kind(), d.subject()};
      VIGIL_RETURN_IF_ERROR(check_slot(from, slot));
      Digest digest{};
      if (!to_array(d.body_digest(), digest)) return refused(from, "echoed a malformed digest");
      if (slot.author == in_.self) continue;
      auto& held = known_[slot];
      if (held.count(digest) || held.size() >= 2) continue;
      if (!proto::verify_statement_digest(in_.plan.session_id, d, in_.identities.at(slot.author))) {
        return refused(from, "echoed a statement whose signature does not verify");
      }
      // Recorded at once, so an author that signs many bodies for one slot
      // is caught at the second, whether or not their bodies ever arrive.
      const bool conflict = !held.empty();
      record(slot, digest, d, false);
      changed = true;
      if (conflict && !every_body_counts(slot.kind)) continue;
      if (last_phase_of(slot.kind) < phase_) continue;
      // The body is missing here: ask the peer that holds it.
      missing_.emplace(slot, digest);
      if (asked_.emplace(from, slot, digest).second) {
        v1::StatementDigest* want = fetch.mutable_fetch()->add_wanted();
        *want = d;
        want->clear_signature();
      }
    }
    if (fetch.fetch().wanted_size() > 0) send(from, std::move(fetch));
    if (changed) advance();
    return changed;
  }

  // Sends `from` the statements it asks for, each at most once.
  Result<bool> answer_fetch(ParticipantIndex from, const v1::CeremonyFetch& f) {
    for (const auto& want : f.wanted()) {
      Digest digest{};
      if (!to_array(want.body_digest(), digest)) return refused(from, "asked for a malformed digest");
      const StatementSlot slot{want.author(), want.kind(), want.subject()};
      auto it = bodies_.find({slot, digest});
      if (it == bodies_.end() || !answered_.emplace(from, slot, digest).second) continue;
      v1::CeremonyMessage m = envelope();
      *m.mutable_statement() = it->second;
      send(from, std::move(m));
    }
    return false;
  }

  // Two signed bodies for one slot, and what every node does about it
  // (ceremony.h): a dealer that dealt twice is left out of the key; a
  // confirmer's confirmations stop counting (matching_confirmations()).
  void equivocated(const StatementSlot& slot) {
    const std::string why = std::string("signed two different ") + kind_name(slot.kind);
    note_fault(slot.author, why);
    if (slot.kind == v1::STATEMENT_KIND_DEALING && !result_) participant_.disqualify(slot.author, why);
  }

  // Every body of an equivocating complainer counts (all its accusations
  // stand, and an honest dealer answers each), and so does every body of a
  // dealer's justifications (any right one answers the complaint): nodes
  // that saw different bodies first still agree.
  static bool every_body_counts(v1::StatementKind kind) {
    return kind == v1::STATEMENT_KIND_COMPLAINTS || kind == v1::STATEMENT_KIND_JUSTIFICATION;
  }

  bool equivocator(ParticipantIndex author, v1::StatementKind kind, std::uint32_t subject = 0) const {
    auto it = known_.find({author, kind, subject});
    return it != known_.end() && it->second.size() > 1;
  }

  void process(const StatementSlot& slot, const Digest& digest) {
    const v1::CeremonyStatement& s = bodies_.at({slot, digest});
    switch (slot.kind) {
      case v1::STATEMENT_KIND_DEALING: process_dealing(slot.author, s.body()); return;
      case v1::STATEMENT_KIND_COMPLAINTS: process_complaints(slot.author, s.body()); return;
      case v1::STATEMENT_KIND_JUSTIFICATION: process_justification(slot, s.body()); return;
      case v1::STATEMENT_KIND_CONFIRMATION: process_confirmation(slot.author, s.body()); return;
      default: return;
    }
  }

  void process_dealing(ParticipantIndex dealer, const std::string& body) {
    dealings_from_.insert(dealer);
    v1::DkgDealing m;
    if (!m.ParseFromString(body) || m.dealer() != dealer ||
        static_cast<std::size_t>(m.shares_size()) > in_.plan.parties) {
      return bad_dealing(dealer, "malformed dealing");
    }
    auto dealing = proto::from_proto<C>(m);
    if (!dealing) return bad_dealing(dealer, "undecodable dealing: " + dealing.error().message);
    if (auto s = participant_.receive_dealing(*dealing); !s) note_fault(dealer, s.error().message);
    if (!in_.plan.is_recipient(in_.self)) return;
    for (const auto& share : m.shares()) {
      if (share.recipient() == in_.self && share.dealer() == dealer) {
        (void)participant_.receive_share(proto::from_proto(share));  // a bad share becomes a complaint
        return;
      }
    }
  }

  void bad_dealing(ParticipantIndex dealer, const std::string& why) {
    note_fault(dealer, why);
    participant_.disqualify(dealer, why);
  }

  void process_complaints(ParticipantIndex complainer, const std::string& body) {
    complaints_from_.insert(complainer);
    v1::DkgComplaints m;
    if (!m.ParseFromString(body) || m.complainer() != complainer ||
        static_cast<std::size_t>(m.accused_size()) > in_.plan.dealers.size()) {
      note_fault(complainer, "malformed complaints");
      return;
    }
    for (std::uint32_t accused : m.accused()) {
      if (auto s = participant_.receive_complaint({complainer, accused}); !s) {
        note_fault(complainer, s.error().message);
        continue;
      }
      if (accused == in_.self && in_.plan.is_dealer(in_.self)) answer_complaint(complainer);
    }
  }

  // As an accused dealer: reveal the disputed share to everyone, and
  // settle the complaint locally too.
  void answer_complaint(ParticipantIndex complainer) {
    if (result_ || !answered_complaints_.insert(complainer).second) return;
    for (auto& j : participant_.justifications()) {
      if (j.recipient != complainer) continue;
      publish({in_.self, v1::STATEMENT_KIND_JUSTIFICATION, complainer}, proto::to_proto(j).SerializeAsString());
      (void)participant_.receive_justification(j);
    }
  }

  void process_justification(const StatementSlot& slot, const std::string& body) {
    v1::DkgJustification m;
    if (!m.ParseFromString(body) || m.dealer() != slot.author || m.recipient() != slot.subject) {
      note_fault(slot.author, "malformed justification");
      return;
    }
    auto j = proto::from_proto<C>(m);
    if (!j) {
      note_fault(slot.author, "undecodable justification: " + j.error().message);
      return;
    }
    if (auto s = participant_.receive_justification(*j); !s) note_fault(slot.author, s.error().message);
  }

  void process_confirmation(ParticipantIndex from, const std::string& body) {
    v1::DkgConfirmation c;
    if (!c.ParseFromString(body) || c.participant() != from || c.dealers_size() != c.dealing_digests_size() ||
        static_cast<std::size_t>(c.dealers_size()) > in_.plan.dealers.size()) {
      note_fault(from, "malformed confirmation");
      return;
    }
    std::map<ParticipantIndex, Digest> dealings;
    for (int i = 0; i < c.dealers_size(); ++i) {
      Digest d{};
      if (!to_array(c.dealing_digests(i), d)) {
        note_fault(from, "malformed confirmation");
        return;
      }
      dealings.emplace(c.dealers(i), d);
    }
    confirmations_.emplace(from, proto::ceremony_transcript_digest(in_.plan, as_bytes(c.group_public_key()), dealings));
  }

  void note_fault(ParticipantIndex from, const std::string& why) { faults_.emplace_back(from, why); }

  // ---------------------------------------------------------------- phases

  std::vector<ParticipantIndex> waiting_for() const {
    std::vector<ParticipantIndex> out;
    const CeremonyPlan& p = in_.plan;
    switch (phase_) {
      case CeremonyPhase::kDeal:
        for (ParticipantIndex d : p.dealers) {
          if (d != in_.self && !dealings_from_.count(d) && !equivocator(d, v1::STATEMENT_KIND_DEALING)) {
            out.push_back(d);
          }
        }
        break;
      case CeremonyPhase::kComplain:
        for (ParticipantIndex m : p.members) {
          if (m != in_.self && ((p.is_recipient(m) && !complaints_from_.count(m)) || !ended(m, CeremonyPhase::kDeal))) {
            out.push_back(m);
          }
        }
        break;
      case CeremonyPhase::kJustify:
        if (participant_.unanswered_complaints() > 0) return p.dealers;  // the accused are among them
        for (ParticipantIndex m : p.members) {
          if (m != in_.self && !ended(m, CeremonyPhase::kComplain)) out.push_back(m);
        }
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

  // A statement this node has asked a peer for and that would still count now.
  bool awaiting_fetch() const {
    return std::ranges::any_of(missing_, [&](const StatementId& id) {
      return phase_of(id.first.kind) <= phase_ && last_phase_of(id.first.kind) >= phase_;
    });
  }

  bool phase_complete() const {
    if (phase_ != CeremonyPhase::kConfirm && awaiting_fetch()) return false;
    switch (phase_) {
      case CeremonyPhase::kConfirm: return matching_confirmations() >= confirmations_needed(in_.plan);
      default: return waiting_for().empty();
    }
  }

  void advance() {
    while (!over() && phase_complete()) end_phase();
  }

  // Whether `member` said it ended `phase`.
  bool ended(ParticipantIndex member, CeremonyPhase phase) const {
    auto it = phases_ended_.find(member);
    return it != phases_ended_.end() && it->second >= static_cast<std::uint32_t>(phase);
  }

  void enter(CeremonyPhase next) {
    echo(phase_);
    phase_ = next;
    auto pending = std::move(inbox_[next]);
    inbox_.erase(next);
    for (const auto& [slot, digest] : pending) process(slot, digest);
  }

  void end_phase() {
    switch (phase_) {
      case CeremonyPhase::kDeal: {
        if (in_.plan.is_recipient(in_.self)) {
          v1::DkgComplaints m;
          m.set_complainer(in_.self);
          for (const auto& c : participant_.complaints()) m.add_accused(c.accused);
          publish({in_.self, v1::STATEMENT_KIND_COMPLAINTS, 0}, m.SerializeAsString());
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
    echo(std::min(phase_, CeremonyPhase::kConfirm));
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
      v1::DkgConfirmation c;
      c.set_participant(in_.self);
      for (const auto& [dealer, digest] : result_->confirmation.dealing_digests) {
        c.add_dealers(dealer);
        c.add_dealing_digests(str(digest));
      }
      c.set_group_public_key(str(result_->group_key.encode()));
      publish({in_.self, v1::STATEMENT_KIND_CONFIRMATION, 0}, c.SerializeAsString());
    }
    enter(CeremonyPhase::kConfirm);
  }

  // Members of the new committee that confirmed this node's transcript, this
  // node included; one that signed two confirmations counts for nothing.
  std::size_t matching_confirmations() const {
    if (!result_) return 0;
    std::size_t matching = in_.plan.is_recipient(in_.self) ? 1 : 0;
    for (const auto& [from, transcript] : confirmations_) {
      if (transcript == transcript_ && !equivocator(from, v1::STATEMENT_KIND_CONFIRMATION)) ++matching;
    }
    return matching;
  }

  // On enough matching confirmations (ceremony.h says how many and why), or
  // on the confirm deadline.
  void conclude() {
    std::string dissent;
    for (const auto& [from, transcript] : confirmations_) {
      if (transcript != transcript_ || equivocator(from, v1::STATEMENT_KIND_CONFIRMATION)) {
        dissent += (dissent.empty() ? "" : ", ") + std::to_string(from);
      }
    }
    const std::size_t matching = matching_confirmations();
    const std::size_t needed = confirmations_needed(in_.plan);
    if (matching < needed) {
      fail(std::to_string(matching) + " of " + std::to_string(in_.plan.parties) +
           " nodes confirmed this node's view; " + std::to_string(needed) + " needed" +
           (dissent.empty() ? "" : " (another view, or two: nodes " + dissent + ")"));
      return;
    }
    dissent_ = dissent;
    if (in_.plan.is_recipient(in_.self)) {
      key_ = make_key_record<C>(in_.plan.epoch, result_->commitment, result_->public_shares, result_->share);
    }
    echo(CeremonyPhase::kConfirm);
    phase_ = CeremonyPhase::kDone;
  }

  CeremonyInputs in_;
  DkgParticipant<C> participant_;
  CeremonyPhase phase_ = CeremonyPhase::kDeal;
  std::string error_;
  // Every signed digest seen per slot (two at most: the second is a proof),
  // and the statements whose bodies this node holds.
  std::map<StatementSlot, std::map<Digest, v1::StatementDigest>> known_;
  std::map<StatementId, v1::CeremonyStatement> bodies_;
  std::vector<v1::StatementDigest> unechoed_;
  std::set<std::tuple<ParticipantIndex, StatementSlot, Digest>> asked_, answered_;  // fetches, by peer
  std::set<StatementId> missing_;                                                   // asked for, not yet received
  std::set<StatementSlot> processed_;  // slots whose (first) body was processed
  std::map<CeremonyPhase, std::vector<StatementId>> inbox_;
  std::set<ParticipantIndex> dealings_from_, complaints_from_, answered_complaints_;
  std::map<ParticipantIndex, Digest> confirmations_;        // the first transcript each member confirmed
  std::map<ParticipantIndex, std::uint32_t> phases_ended_;  // the last phase each member echoed the end of
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
