#include "node/ceremony/ceremony.h"

#include <set>

#include "node/release/node_key.h"
#include "proto/codec.h"
#include "vigil/hash.h"
#include "vigil/seal.h"

namespace vigil::node {

CeremonyInputs::~CeremonyInputs() {
  if (current_key) wipe_secret_share(*current_key);
}

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

Error refused(ParticipantIndex from, const std::string& why) {
  return make_error(ErrorCode::kProtocolAbort, "node " + std::to_string(from) + ": " + why, from);
}

using proto::StatementSlot;
using StatementId = std::pair<StatementSlot, Digest>;

// Confirmations of one transcript that make it the outcome (see ceremony.h).
std::size_t confirmations_needed(const CeremonyPlan& p) {
  return std::min(p.parties, std::max(p.threshold + 1, (p.parties + 1) / 2 + 1));
}

CeremonyPhase phase_of(v1::StatementKind kind) {
  switch (kind) {
    case v1::STATEMENT_KIND_DEALING: return CeremonyPhase::kDeal;
    case v1::STATEMENT_KIND_COMPLAINT: return CeremonyPhase::kComplain;
    case v1::STATEMENT_KIND_JUSTIFICATION: return CeremonyPhase::kJustify;
    case v1::STATEMENT_KIND_CONFIRMATION: return CeremonyPhase::kConfirm;
    default: return CeremonyPhase::kFailed;
  }
}

// The largest body a statement of `kind` can have in this plan: a peer
// cannot make a node hold, or relay, more.
std::size_t max_body_size(const CeremonyPlan& p, v1::StatementKind kind) {
  constexpr std::size_t kElement = 33 + 2, kShare = 16 + kSealOverheadBytes + 32 + 2;
  switch (kind) {
    case v1::STATEMENT_KIND_DEALING: return 64 + p.threshold * kElement + 2 * kElement + p.parties * kShare;
    case v1::STATEMENT_KIND_CONFIRMATION: return 64 + kElement + p.dealers.size() * (8 + 32 + 2);
    default: return 128;
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
      case v1::CeremonyMessage::kCertificate:
        return over() && !awaiting_certificate() ? false : receive_certificate(from, m.certificate());
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
  // Failed on the confirm deadline holding a transcript: a member of the
  // new committee confirmed it on finishing; a leaving dealer would erase
  // its share for it.
  bool awaiting_certificate() const override { return phase_ == CeremonyPhase::kFailed && result_.has_value(); }

  std::int64_t deadline_unix_ms() const override {
    const auto k = std::min(static_cast<int>(phase_), static_cast<int>(CeremonyPhase::kConfirm));
    return in_.accepted_unix_ms + k * in_.plan.phase_timeout.count();
  }

  v1::CeremonyStatus status() const override {
    v1::CeremonyStatus s;
    s.set_session_id(as_string(in_.plan.session_id));
    s.set_kind(in_.plan.reshare ? v1::CEREMONY_KIND_RESHARE : v1::CEREMONY_KIND_DKG);
    s.set_state(phase_ == CeremonyPhase::kDone     ? "done"
                : awaiting_certificate()           ? "awaiting"
                : phase_ == CeremonyPhase::kFailed ? "failed"
                                                   : "running");
    s.set_phase(ceremony_phase_name(phase_));
    s.set_epoch(in_.plan.epoch);
    s.set_parties(static_cast<std::uint32_t>(in_.plan.parties));
    s.set_threshold(static_cast<std::uint32_t>(in_.plan.threshold));
    for (ParticipantIndex i : waiting_for()) s.add_waiting_for(i);
    s.set_error(phase_ == CeremonyPhase::kDone && !dissent_.empty()
                    ? "nodes " + list(dissent_) + " confirmed another view"
                    : error_);
    s.set_started_unix_ms(in_.accepted_unix_ms);
    if (result_) {
      for (ParticipantIndex d : result_->excluded) s.add_excluded(d);
      for (const auto& [d, why] : result_->exclusions)
        s.add_exclusion_reasons("node " + std::to_string(d) + ": " + why);
      s.set_group_public_key(as_string(result_->group_key.encode()));
      s.set_transcript_digest(as_string(transcript_));
      s.set_confirmations(static_cast<std::uint32_t>(matching_confirmations()));
    }
    return s;
  }

  const std::optional<v1::StoredKey>& key() const override { return key_; }

  void erase_secrets() override {
    participant_.erase_secrets();
    in_.seed = SecretBytes();
    if (in_.current_key) wipe_secret_share(*in_.current_key);
    in_.current_key.reset();
    if (result_) result_->share.value = Scalar<C>::zero();
    if (key_) wipe_secret_share(*key_);
    key_.reset();
  }
  const CeremonyPlan& plan() const override { return in_.plan; }

 private:
  static std::string list(const std::set<ParticipantIndex>& nodes) {
    std::string out;
    for (ParticipantIndex i : nodes) out += (out.empty() ? "" : ", ") + std::to_string(i);
    return out;
  }

  // ---------------------------------------------------------------- sending

  v1::CeremonyMessage envelope() const {
    v1::CeremonyMessage m;
    m.set_session_id(as_string(in_.plan.session_id));
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
  const v1::CeremonyStatement& publish(const StatementSlot& slot, std::string body) {
    v1::CeremonyMessage m = envelope();
    *m.mutable_statement() = proto::sign_ceremony_statement(in_.plan.session_id, slot, std::move(body), *in_.identity);
    const Digest digest = sha256(as_bytes(m.statement().body()));
    if (slot.kind == v1::STATEMENT_KIND_DEALING) known_[slot].emplace(digest, proto::statement_digest(m.statement()));
    settled_.insert(slot);
    broadcast(m);
    return bodies_.emplace(StatementId{slot, digest}, m.statement()).first->second;
  }

  // Tells every member that this node ended `ended` and what it accepted
  // since it last said so: a member that missed a statement fetches it from
  // here, and one that holds another dealing of the same dealer now has a
  // proof of equivocation.
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
      case v1::STATEMENT_KIND_COMPLAINT:
        ok = p.is_recipient(slot.author) && p.is_dealer(slot.subject) && (p.reshare || slot.subject != slot.author);
        break;
      case v1::STATEMENT_KIND_JUSTIFICATION: ok = p.is_dealer(slot.author) && p.is_recipient(slot.subject); break;
      case v1::STATEMENT_KIND_CONFIRMATION: ok = p.is_recipient(slot.author) && slot.subject == 0; break;
      default: break;
    }
    if (!ok) return refused(from, "sent a statement its author may not make");
    return {};
  }

  // Whether a statement of `kind` still counts here. In its own phase (or
  // before) it does from anyone. A complaint also counts in the phase after,
  // but only relayed by another member: an honest member that accepted it in
  // time echoed it to everyone, while one that arrives late from its author
  // alone may have reached this node only.
  bool window_open(v1::StatementKind kind, bool from_author) const {
    if (phase_ <= phase_of(kind)) return true;
    return kind == v1::STATEMENT_KIND_COMPLAINT && phase_ == CeremonyPhase::kJustify && !from_author;
  }

  Result<bool> receive_statement(ParticipantIndex from, const v1::CeremonyStatement& s) {
    const StatementSlot slot{s.author(), s.kind(), s.subject()};
    VIGIL_RETURN_IF_ERROR(check_slot(from, slot));
    if (slot.author == in_.self) return false;  // this node's own, back from a peer
    if (s.body().size() > max_body_size(in_.plan, slot.kind)) return refused(from, "sent an oversized statement");
    if (!window_open(slot.kind, from == slot.author)) return false;
    const Digest digest = sha256(as_bytes(s.body()));
    if (bodies_.count({slot, digest})) return false;
    auto signed_digest = proto::statement_digest(s);
    if (!proto::verify_statement_digest(in_.plan.session_id, signed_digest, in_.identities.at(slot.author))) {
      return refused(from, "relayed a statement whose signature does not verify");
    }
    // One that settles a fetch changes what this node waits for, kept or not.
    bool changed =
        std::erase_if(outstanding_, [&](const auto& o) { return o.first.second == slot && o.second == digest; }) > 0;
    switch (slot.kind) {
      case v1::STATEMENT_KIND_DEALING: changed = accept_dealing(slot, digest, s, signed_digest) || changed; break;
      case v1::STATEMENT_KIND_COMPLAINT: changed = accept_complaint(slot, digest, s, signed_digest) || changed; break;
      case v1::STATEMENT_KIND_JUSTIFICATION:
        changed = accept_justification(slot, digest, s, signed_digest) || changed;
        break;
      case v1::STATEMENT_KIND_CONFIRMATION: changed = accept_confirmation(s, digest, signed_digest) || changed; break;
      default: break;
    }
    advance();
    return changed;
  }

  // A dealer's bundle; a second, different one is the proof that it dealt twice.
  bool accept_dealing(const StatementSlot& slot, const Digest& digest, const v1::CeremonyStatement& s,
                      const v1::StatementDigest& signed_digest) {
    auto& held = known_[slot];
    if (!held.count(digest) && held.size() >= 2) return false;  // the proof is in hand
    record_dealing(slot, digest, signed_digest, true);
    bodies_.emplace(StatementId{slot, digest}, s);
    if (settled_.insert(slot).second) process_dealing(slot.author, s.body());
    return true;
  }

  // Records a signed digest of a dealer's dealing, echoed once this node
  // holds its body or when it proves the dealer dealt twice.
  void record_dealing(const StatementSlot& slot, const Digest& digest, const v1::StatementDigest& signed_digest,
                      bool holds_body) {
    auto& held = known_[slot];
    const bool conflict = !held.empty() && !held.count(digest);
    held.emplace(digest, signed_digest);
    if (holds_body || conflict) unechoed_.push_back(signed_digest);
    if (!conflict) return;
    const std::string why = "signed two different dealings";
    note_fault(slot.author, why);
    if (!result_) participant_.disqualify(slot.author, why);
  }

  // The body of a complaint or justification if it is the canonical
  // encoding of one for its slot; otherwise a fault of its author.
  // (The body is rebuilt from its known fields and compared: unknown fields
  // would make many encodings of one statement.)
  template <class Body>
  std::optional<Body> canonical(const StatementSlot& slot, const std::string& bytes, const char* what) {
    Body body;
    if (body.ParseFromString(bytes) && rebuilt(slot, body).SerializeAsString() == bytes) return body;
    note_fault(slot.author, std::string("signed a malformed ") + what);
    return std::nullopt;
  }
  static v1::DkgComplaint rebuilt(const StatementSlot& slot, const v1::DkgComplaint&) {
    v1::DkgComplaint c;
    c.set_complainer(slot.author);
    c.set_accused(slot.subject);
    return c;
  }
  static v1::DkgJustification rebuilt(const StatementSlot& slot, const v1::DkgJustification& parsed) {
    v1::DkgJustification j;
    j.set_dealer(slot.author);
    j.set_recipient(slot.subject);
    j.set_share(parsed.share());
    return j;
  }

  // A complaint has one valid body (its encoding is canonical), so an author
  // cannot say two different things in one slot.
  bool accept_complaint(const StatementSlot& slot, const Digest& digest, const v1::CeremonyStatement& s,
                        const v1::StatementDigest& signed_digest) {
    if (settled_.count(slot) || !canonical<v1::DkgComplaint>(slot, s.body(), "complaint")) return false;
    settled_.insert(slot);
    bodies_.emplace(StatementId{slot, digest}, s);
    unechoed_.push_back(signed_digest);
    if (phase_ < CeremonyPhase::kComplain) {
      early_complaints_.push_back(slot);
    } else {
      process_complaint(slot.author, slot.subject);
    }
    return true;
  }

  // Only a right justification is kept and relayed, so a dealer's wrong
  // ones cannot crowd out its right one anywhere.
  bool accept_justification(const StatementSlot& slot, const Digest& digest, const v1::CeremonyStatement& s,
                            const v1::StatementDigest& signed_digest) {
    if (settled_.count(slot)) return false;
    auto m = canonical<v1::DkgJustification>(slot, s.body(), "justification");
    if (!m) return false;
    if (phase_ < CeremonyPhase::kComplain) {
      // The dealer's commitments may not be in yet: check it on entering
      // the complain phase. Two per slot at most wait.
      auto& early = early_justifications_[slot];
      if (early.size() >= 2) return false;
      early.push_back(s);
      return true;
    }
    auto j = proto::from_proto<C>(*m);
    if (!j) {
      note_fault(slot.author, "undecodable justification: " + j.error().message);
      return false;
    }
    if (auto answered = participant_.receive_justification(*j); !answered) {
      note_fault(slot.author, answered.error().message);
      return false;
    }
    settled_.insert(slot);
    bodies_.emplace(StatementId{slot, digest}, s);
    unechoed_.push_back(signed_digest);
    return true;
  }

  // Before this node has a transcript, up to two confirmations per member
  // wait; after, one that matches counts, whoever else its author signed for.
  bool accept_confirmation(const v1::CeremonyStatement& s, const Digest& digest,
                           const v1::StatementDigest& signed_digest) {
    const ParticipantIndex author = s.author();
    if (!result_) {
      auto& early = early_confirmations_[author];
      if (early.size() >= 2) return false;
      early.push_back(s);
      return true;
    }
    if (confirmers_.count(author)) return false;
    // A confirmation has one encoding (confirmation_of), so it confirms this
    // node's transcript exactly when it has these bytes; only such bodies go
    // into a certificate other members can check.
    if (s.body() != confirmation_of(author).SerializeAsString()) {
      v1::DkgConfirmation c;
      if (!c.ParseFromString(s.body()) || c.participant() != author) {
        note_fault(author, "signed a malformed confirmation");
        return false;
      }
      return dissent_.insert(author).second;  // another view
    }
    confirmers_.emplace(author, s);
    bodies_.emplace(StatementId{StatementSlot{author, v1::STATEMENT_KIND_CONFIRMATION, 0}, digest}, s);
    unechoed_.push_back(signed_digest);
    return true;
  }

  Result<bool> receive_certificate(ParticipantIndex from, const v1::CeremonyCertificate& certificate) {
    if (static_cast<std::size_t>(certificate.signatures_size()) > in_.plan.parties ||
        certificate.transcript().ByteSizeLong() > max_body_size(in_.plan, v1::STATEMENT_KIND_CONFIRMATION)) {
      return refused(from, "sent an oversized certificate");
    }
    // Each signer's confirmation, rebuilt and checked, before any is used.
    std::vector<std::pair<v1::CeremonyStatement, v1::StatementDigest>> fresh;
    for (const auto& signature : certificate.signatures()) {
      const StatementSlot slot{signature.participant(), v1::STATEMENT_KIND_CONFIRMATION, 0};
      VIGIL_RETURN_IF_ERROR(check_slot(from, slot));
      if (slot.author == in_.self || confirmers_.count(slot.author)) continue;
      v1::DkgConfirmation body = certificate.transcript();
      body.set_participant(slot.author);
      v1::CeremonyStatement s;
      s.set_author(slot.author);
      s.set_kind(slot.kind);
      s.set_body(body.SerializeAsString());
      s.set_signature(signature.signature());
      if (bodies_.count({slot, sha256(as_bytes(s.body()))})) continue;
      auto signed_digest = proto::statement_digest(s);
      if (!proto::verify_statement_digest(in_.plan.session_id, signed_digest, in_.identities.at(slot.author))) {
        return refused(from, "sent a certificate whose signature does not verify");
      }
      fresh.emplace_back(std::move(s), std::move(signed_digest));
    }
    bool changed = false;
    for (const auto& [s, signed_digest] : fresh) {
      changed = accept_confirmation(s, sha256(as_bytes(s.body())), signed_digest) || changed;
    }
    if (awaiting_certificate()) {
      if (matching_confirmations() >= confirmations_needed(in_.plan)) complete();
    } else {
      advance();
    }
    return changed;
  }

  Result<bool> receive_echo(ParticipantIndex from, const v1::CeremonyEcho& e) {
    if (e.phase_ended() < static_cast<std::uint32_t>(CeremonyPhase::kDeal) ||
        e.phase_ended() > static_cast<std::uint32_t>(CeremonyPhase::kConfirm)) {
      return refused(from, "echoed the end of an unknown phase");
    }
    // Every entry is checked before any is used, so an echo is taken whole
    // or not at all; each (slot, digest) is checked once.
    if (static_cast<std::size_t>(e.statements_size()) > max_slots()) return refused(from, "echoed too many statements");
    std::vector<std::tuple<StatementSlot, Digest, const v1::StatementDigest*>> fresh;
    std::set<StatementId> seen;
    for (const auto& d : e.statements()) {
      const StatementSlot slot{d.author(), d.kind(), d.subject()};
      VIGIL_RETURN_IF_ERROR(check_slot(from, slot));
      Digest digest{};
      if (!to_array(d.body_digest(), digest)) return refused(from, "echoed a malformed digest");
      if (slot.author == from) return refused(from, "echoed its own statement");
      if (slot.author == in_.self || !wanted(slot, digest) || !seen.emplace(slot, digest).second) continue;
      if (!proto::verify_statement_digest(in_.plan.session_id, d, in_.identities.at(slot.author))) {
        return refused(from, "echoed a statement whose signature does not verify");
      }
      fresh.emplace_back(slot, digest, &d);
    }
    bool changed = false;
    if (auto& ended = phases_ended_[from]; e.phase_ended() > ended) {
      ended = e.phase_ended();
      changed = true;
    }
    v1::CeremonyMessage fetch = envelope();
    for (const auto& [slot, digest, d] : fresh) {
      if (!wanted(slot, digest)) continue;  // an earlier entry of this echo settled it
      if (slot.kind == v1::STATEMENT_KIND_DEALING) {
        auto& held = known_[slot];
        const bool proof = !held.empty() && !held.count(digest);
        record_dealing(slot, digest, *d, false);  // a second dealing: the two signatures are the proof
        changed = true;
        if (proof) continue;
      }
      // Ask the peer that holds the body, one request per peer and slot at a time.
      if (!outstanding_.emplace(std::pair{from, slot}, digest).second) continue;
      v1::StatementDigest* want = fetch.mutable_fetch()->add_wanted();
      *want = *d;
      want->clear_signature();
      changed = true;
    }
    if (fetch.fetch().wanted_size() > 0) send(from, std::move(fetch));
    if (changed) advance();
    return changed;
  }

  // How many statements a plan allows, a dealing counted twice (the proof):
  // more in one echo is a peer making work.
  std::size_t max_slots() const {
    const CeremonyPlan& p = in_.plan;
    return 2 * p.dealers.size() + 2 * p.parties * p.dealers.size() + p.parties;
  }

  // Whether an echoed digest tells this node something it can still use.
  bool wanted(const StatementSlot& slot, const Digest& digest) const {
    if (bodies_.count({slot, digest})) return false;
    switch (slot.kind) {
      case v1::STATEMENT_KIND_DEALING: {
        // The body while the deal phase lasts; a second digest, which
        // proves the dealer dealt twice, until the node finishes.
        auto it = known_.find(slot);
        if (it == known_.end()) return phase_ == CeremonyPhase::kDeal;
        if (it->second.size() >= 2) return false;  // proven to have dealt twice: nothing more to learn
        if (it->second.count(digest)) return phase_ == CeremonyPhase::kDeal;
        return phase_ <= CeremonyPhase::kComplain;
      }
      case v1::STATEMENT_KIND_COMPLAINT:
      case v1::STATEMENT_KIND_JUSTIFICATION: return !settled_.count(slot) && window_open(slot.kind, false);
      case v1::STATEMENT_KIND_CONFIRMATION:
        return !confirmers_.count(slot.author) && !dissent_.count(slot.author) && phase_ <= CeremonyPhase::kConfirm;
      default: return false;
    }
  }

  // Sends `from` the statements it asks for, each at most once.
  Result<bool> answer_fetch(ParticipantIndex from, const v1::CeremonyFetch& f) {
    for (const auto& want : f.wanted()) {
      if (want.body_digest().size() != 32) return refused(from, "asked for a malformed digest");
    }
    for (const auto& want : f.wanted()) {
      Digest digest{};
      to_array(want.body_digest(), digest);
      const StatementSlot slot{want.author(), want.kind(), want.subject()};
      auto it = bodies_.find({slot, digest});
      if (it == bodies_.end() || !answered_.emplace(from, slot, digest).second) continue;
      v1::CeremonyMessage m = envelope();
      *m.mutable_statement() = it->second;
      send(from, std::move(m));
    }
    return false;
  }

  bool equivocator(ParticipantIndex dealer) const {
    auto it = known_.find({dealer, v1::STATEMENT_KIND_DEALING, 0});
    return it != known_.end() && it->second.size() > 1;
  }

  void process_dealing(ParticipantIndex dealer, const std::string& body) {
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

  void process_complaint(ParticipantIndex complainer, ParticipantIndex accused) {
    if (auto s = participant_.receive_complaint({complainer, accused}); !s) {
      note_fault(complainer, s.error().message);
      return;
    }
    if (accused == in_.self && in_.plan.is_dealer(in_.self)) answer_complaint(complainer);
  }

  // As an accused dealer: reveal the disputed share to everyone, and
  // settle the complaint locally too.
  void answer_complaint(ParticipantIndex complainer) {
    if (result_ || settled_.count({in_.self, v1::STATEMENT_KIND_JUSTIFICATION, complainer})) return;
    for (auto& j : participant_.justifications()) {
      if (j.recipient != complainer) continue;
      publish({in_.self, v1::STATEMENT_KIND_JUSTIFICATION, complainer}, proto::to_proto(j).SerializeAsString());
      (void)participant_.receive_justification(j);
    }
  }

  void note_fault(ParticipantIndex from, const std::string& why) { faults_.emplace_back(from, why); }

  // ---------------------------------------------------------------- phases

  // Whether `member` said it ended `phase`.
  bool ended(ParticipantIndex member, CeremonyPhase phase) const {
    auto it = phases_ended_.find(member);
    return it != phases_ended_.end() && it->second >= static_cast<std::uint32_t>(phase);
  }

  std::vector<ParticipantIndex> waiting_for() const {
    std::vector<ParticipantIndex> out;
    const CeremonyPlan& p = in_.plan;
    auto members_that_did_not_end = [&](CeremonyPhase phase) {
      for (ParticipantIndex m : p.members) {
        if (m != in_.self && !ended(m, phase)) out.push_back(m);
      }
    };
    switch (phase_) {
      case CeremonyPhase::kDeal:
        for (ParticipantIndex d : p.dealers) {
          if (d != in_.self && !settled_.count({d, v1::STATEMENT_KIND_DEALING, 0}) && !equivocator(d)) {
            out.push_back(d);
          }
        }
        break;
      case CeremonyPhase::kComplain: members_that_did_not_end(CeremonyPhase::kDeal); break;
      case CeremonyPhase::kJustify:
        if (participant_.unanswered_complaints() > 0) return p.dealers;  // the accused are among them
        members_that_did_not_end(CeremonyPhase::kComplain);
        break;
      case CeremonyPhase::kConfirm:
        for (ParticipantIndex r = 1; r <= p.parties; ++r) {
          if (r != in_.self && !confirmers_.count(r)) out.push_back(r);
        }
        break;
      default: break;
    }
    return out;
  }

  // A statement this node asked a peer for and that would still count now.
  bool awaiting_fetch() const {
    return std::ranges::any_of(outstanding_, [&](const auto& o) {
      const StatementSlot& slot = o.first.second;
      return slot.kind != v1::STATEMENT_KIND_CONFIRMATION && wanted(slot, o.second);
    });
  }

  bool phase_complete() const {
    if (phase_ == CeremonyPhase::kConfirm) return matching_confirmations() >= confirmations_needed(in_.plan);
    return waiting_for().empty() && !awaiting_fetch();
  }

  void advance() {
    while (!over() && phase_complete()) end_phase();
  }

  void enter(CeremonyPhase next) {
    echo(phase_);
    phase_ = next;
    if (next == CeremonyPhase::kComplain) {
      for (const auto& slot : std::exchange(early_complaints_, {})) process_complaint(slot.author, slot.subject);
      for (auto& [slot, statements] : std::exchange(early_justifications_, {})) {
        for (const auto& s : statements) {
          (void)accept_justification(slot, sha256(as_bytes(s.body())), s, proto::statement_digest(s));
        }
      }
    }
    if (next == CeremonyPhase::kConfirm) {
      for (auto& [author, statements] : std::exchange(early_confirmations_, {})) {
        for (const auto& s : statements) {
          (void)accept_confirmation(s, sha256(as_bytes(s.body())), proto::statement_digest(s));
        }
      }
    }
  }

  void end_phase() {
    switch (phase_) {
      case CeremonyPhase::kDeal:
        if (in_.plan.is_recipient(in_.self)) {
          for (const auto& c : participant_.complaints()) {
            v1::DkgComplaint m;
            m.set_complainer(in_.self);
            m.set_accused(c.accused);
            publish({in_.self, v1::STATEMENT_KIND_COMPLAINT, c.accused}, m.SerializeAsString());
          }
        }
        enter(CeremonyPhase::kComplain);
        return;
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
      confirmers_.emplace(in_.self, publish({in_.self, v1::STATEMENT_KIND_CONFIRMATION, 0},
                                            confirmation_of(in_.self).SerializeAsString()));
    }
    enter(CeremonyPhase::kConfirm);
  }

  // The confirmation `participant` makes of this node's transcript, in its one encoding.
  v1::DkgConfirmation confirmation_of(ParticipantIndex participant) const {
    v1::DkgConfirmation c;
    if (participant != 0) c.set_participant(participant);
    for (const auto& [dealer, digest] : result_->confirmation.dealing_digests) {
      c.add_dealers(dealer);
      c.add_dealing_digests(as_string(digest));
    }
    c.set_group_public_key(as_string(result_->group_key.encode()));
    return c;
  }

  // Members of the new committee that signed a confirmation of this node's
  // transcript, this node included. One that also signed another still
  // counts: two sets of q confirmers share an honest node (ceremony.h).
  std::size_t matching_confirmations() const { return result_ ? confirmers_.size() : 0; }

  // On the confirm deadline without enough matching confirmations: this node
  // keeps the previous epoch. If it confirmed, it still completes on a
  // certificate from a node that was done (awaiting_certificate()).
  void conclude() {
    if (matching_confirmations() >= confirmations_needed(in_.plan)) {
      complete();
      return;
    }
    fail(std::to_string(matching_confirmations()) + " of " + std::to_string(in_.plan.parties) +
         " nodes confirmed this node's view; " + std::to_string(confirmations_needed(in_.plan)) + " needed" +
         (dissent_.empty() ? "" : " (another view: nodes " + list(dissent_) + ")"));
    if (awaiting_certificate()) {
      error_ += "; this node keeps the previous epoch and awaits a certificate from a node that is done";
    }
  }

  // Done: the key, and a certificate of it for every member.
  void complete() {
    error_.clear();
    if (in_.plan.is_recipient(in_.self)) {
      key_ = make_key_record<C>(in_.plan.epoch, result_->commitment, result_->public_shares, result_->share);
    }
    echo(CeremonyPhase::kConfirm);
    v1::CeremonyMessage certificate = envelope();
    *certificate.mutable_certificate()->mutable_transcript() = confirmation_of(0);
    for (const auto& [author, statement] : confirmers_) {
      if (static_cast<std::size_t>(certificate.certificate().signatures_size()) == confirmations_needed(in_.plan)) {
        break;
      }
      v1::CertificateSignature* signature = certificate.mutable_certificate()->add_signatures();
      signature->set_participant(author);
      signature->set_signature(statement.signature());
    }
    broadcast(certificate);
    phase_ = CeremonyPhase::kDone;
  }

  CeremonyInputs in_;
  DkgParticipant<C> participant_;
  CeremonyPhase phase_ = CeremonyPhase::kDeal;
  std::string error_;
  // Signed digests of each dealer's dealing (two at most: the second is a
  // proof), every statement whose body this node holds, and the slots settled.
  std::map<StatementSlot, std::map<Digest, v1::StatementDigest>> known_;
  std::map<StatementId, v1::CeremonyStatement> bodies_;
  std::set<StatementSlot> settled_;
  std::vector<v1::StatementDigest> unechoed_;
  std::map<std::pair<ParticipantIndex, StatementSlot>, Digest> outstanding_;  // fetches: (peer, slot) -> digest
  std::set<std::tuple<ParticipantIndex, StatementSlot, Digest>> answered_;    // fetches answered, by peer
  std::map<ParticipantIndex, std::uint32_t> phases_ended_;  // the last phase each member echoed the end of
  std::vector<StatementSlot> early_complaints_;             // accepted in the deal phase (each slot once: settled_)
  std::map<StatementSlot, std::vector<v1::CeremonyStatement>> early_justifications_;
  std::map<ParticipantIndex, std::vector<v1::CeremonyStatement>> early_confirmations_;
  std::map<ParticipantIndex, v1::CeremonyStatement> confirmers_;  // signed confirmations of this node's transcript
  std::set<ParticipantIndex> dissent_;                            // members that confirmed another transcript
  std::vector<std::pair<ParticipantIndex, std::string>> faults_;
  std::optional<DkgResult<C>> result_;
  Digest transcript_{};
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
