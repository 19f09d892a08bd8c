// Distributed key generation without a dealer: Joint-Feldman (Pedersen 1991,
// with the hardening of Gennaro, Jarecki, Krawczyk and Rabin 1999) plus a
// Schnorr proof of knowledge of each dealer's constant term bound to the
// session and the dealer's index (RFC 9591's FROST KeyGen, which stops
// rogue-key attacks).
//
// A state machine that consumes and produces messages; it never does I/O, so
// the same code runs in-process in tests and over the network in vigild.
// Phases, each ended by the caller (on a deadline or when all messages are in):
//
//   1. deal:     each participant broadcasts a DkgDealing (exactly t
//                commitments and the proof) and sends each other participant
//                its share, sealed to the recipient's X25519 key with the
//                session, dealer and recipient bound as associated data;
//   2. complain: every recipient checks its shares; a missing or wrong share
//                becomes a DkgComplaint against the dealer;
//   3. justify:  an accused dealer reveals the disputed share; everyone checks
//                it against the dealer's commitments;
//   4. finish:   the qualified set is every dealer with a valid dealing whose
//                complaints were all answered correctly; the key, this
//                participant's share and every public share follow. A
//                DkgConfirmation (per-dealer commitment digests) exchanged in a
//                last round exposes a dealer who sent different dealings to
//                different participants.
//
// Any t honest, live dealers suffice; silent or faulty ones are excluded and
// named in the result.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "vigil/seal.h"
#include "vigil/shamir.h"

namespace vigil {

using SessionId = std::array<std::uint8_t, 32>;

struct DkgParameters {
  SessionId session_id{};
  std::size_t parties = 0;    // the committee that will hold the key
  std::size_t threshold = 0;  // of the key it will hold
};

// Resharing: the same protocol, dealt by the old committee. Each old member
// shares its own share (its dealing's constant term must equal its old
// public share), and the new shares are the Lagrange combination over the
// qualified old members, so the group key does not change. The old threshold
// and epoch are bound into every proof and sealed share, so a transcript of
// one resharing cannot be replayed as another (downgrade guard).
template <Curve C>
struct ReshareSource {
  FeldmanCommitment<C> old_commitment;  // t_old entries; the first is the group key
  std::size_t old_parties = 0;          // the dealers are old members 1..old_parties
  std::uint32_t old_epoch = 0;
};

template <Curve C>
struct SchnorrProof {
  Element<C> commitment;  // k G
  Scalar<C> response;     // k + c a_0
  SchnorrProof clone() const { return {commitment, response.clone()}; }
};

// Broadcast by each dealer in phase 1.
template <Curve C>
struct DkgDealing {
  ParticipantIndex dealer = 0;
  std::vector<Element<C>> commitments;  // a_j G, exactly t
  SchnorrProof<C> proof;
  DkgDealing clone() const { return {dealer, commitments, proof.clone()}; }
};

// Sent point to point in phase 1: f_dealer(recipient), sealed to the recipient.
struct DkgSealedShare {
  ParticipantIndex dealer = 0;
  ParticipantIndex recipient = 0;
  Bytes sealed;
};

// Broadcast in phase 2.
struct DkgComplaint {
  ParticipantIndex complainer = 0;
  ParticipantIndex accused = 0;
};

// Broadcast in phase 3 by an accused dealer: the disputed share in the clear.
template <Curve C>
struct DkgJustification {
  ParticipantIndex dealer = 0;
  ParticipantIndex recipient = 0;
  Scalar<C> share;
  DkgJustification clone() const { return {dealer, recipient, share.clone()}; }
};

// Exchanged after phase 4: what this participant based its key on.
struct DkgConfirmation {
  ParticipantIndex participant = 0;
  std::map<ParticipantIndex, std::array<std::uint8_t, 32>> dealing_digests;  // qualified dealers only
};

template <Curve C>
struct DkgResult {
  SecretShare<C> share;
  Element<C> group_key;
  std::vector<Element<C>> public_shares;  // X_1..X_n
  FeldmanCommitment<C> commitment;        // the sum of the qualified dealers' commitments
  std::vector<ParticipantIndex> qualified;
  std::vector<ParticipantIndex> excluded;  // with reasons in `exclusions`
  std::map<ParticipantIndex, std::string> exclusions;
  DkgConfirmation confirmation;
};

template <Curve C>
class DkgParticipant {
 public:
  // `recipient_keys[j - 1]` is participant j's X25519 key; `own_secret_key`
  // opens the shares sealed to this participant.
  static Result<DkgParticipant> create(const DkgParameters& parameters, ParticipantIndex self,
                                       SecretBytes own_secret_key, std::vector<X25519PublicKey> recipient_keys);

  // A participant of a resharing: an old member (old_share set) deals; a new
  // member (new_index > 0) receives; a node may be both, under two indices.
  // `recipient_keys` are the new committee's keys.
  static Result<DkgParticipant> create_reshare(const DkgParameters& parameters, ReshareSource<C> source,
                                               std::optional<SecretShare<C>> old_share, ParticipantIndex new_index,
                                               SecretBytes own_secret_key, std::vector<X25519PublicKey> recipient_keys);

  ParticipantIndex index() const { return recipient_self_; }

  // Phase 1: this participant's dealing and one sealed share per other participant.
  struct Deal {
    DkgDealing<C> dealing;
    std::vector<DkgSealedShare> shares;
  };
  Result<Deal> deal(Rng& rng);

  // Phase 2 input. A dealing with the wrong number of commitments or a bad
  // proof excludes its dealer; a second, different dealing from the same
  // dealer is refused (kProtocolAbort naming it).
  Status receive_dealing(const DkgDealing<C>& dealing);
  // A share that does not open or does not match its dealer's commitments
  // becomes a complaint.
  Status receive_share(const DkgSealedShare& share);
  // Ends phase 2: this participant's complaints, including against dealers
  // whose dealing arrived without a share for it.
  std::vector<DkgComplaint> complaints();

  // Phase 3.
  Status receive_complaint(const DkgComplaint& complaint);
  // As a dealer: the shares it must reveal for complaints against it.
  std::vector<DkgJustification<C>> justifications() const;
  // A justification that does not match the dealer's commitments answers
  // nothing (kVerificationFailed); the complaint stays open, and finish()
  // excludes a dealer whose complaints are still open, whatever order the
  // justifications arrived in. A right one settles its complaint for good,
  // also when it arrives before the complaint.
  Status receive_justification(const DkgJustification<C>& justification);
  // Complaints against dealers still in the running that no valid
  // justification has answered yet: phase 3 can end early at zero.
  std::size_t unanswered_complaints() const;

  // Forgets every secret: the dealing polynomial (in a resharing, its
  // constant term is the old share), the old share, the shares received
  // and the key that opens them. Call once the outcome is stored.
  void erase_secrets();

  // Leaves `dealer` out of the qualified set, for a fault found outside this
  // state machine (the node proved it signed two different messages).
  void disqualify(ParticipantIndex dealer, const std::string& why) { exclude(dealer, why); }

  // Phase 4. Fails with kProtocolAbort when fewer than t dealers (t_old for
  // a resharing) qualify or this participant's own share cannot be formed.
  // A participant that only deals gets the public result (share index 0).
  Result<DkgResult<C>> finish();

 private:
  DkgParticipant(const DkgParameters& p, ParticipantIndex dealer_self, ParticipantIndex recipient_self,
                 SecretBytes secret, std::vector<X25519PublicKey> keys)
      : params_(p),
        dealer_self_(dealer_self),
        recipient_self_(recipient_self),
        secret_key_(std::move(secret)),
        recipient_keys_(std::move(keys)) {}
  void exclude(ParticipantIndex dealer, const std::string& why);
  std::size_t dealers() const { return source_ ? source_->old_parties : params_.parties; }
  Bytes context() const;  // session, old threshold and epoch: bound into proofs and seals

  DkgParameters params_;
  ParticipantIndex dealer_self_;     // 0 when this participant does not deal
  ParticipantIndex recipient_self_;  // 0 when it receives no share
  std::optional<ReshareSource<C>> source_;
  std::optional<SecretShare<C>> old_share_;
  SecretBytes secret_key_;
  std::vector<X25519PublicKey> recipient_keys_;
  std::optional<Polynomial<C>> polynomial_;
  std::map<ParticipantIndex, DkgDealing<C>> dealings_;
  std::map<ParticipantIndex, FeldmanCommitment<C>> commitments_;
  std::map<ParticipantIndex, Scalar<C>> received_;                                      // dealer -> f_dealer(self)
  std::set<std::pair<ParticipantIndex, ParticipantIndex>> open_complaints_;             // (accused, complainer)
  std::set<std::pair<ParticipantIndex, ParticipantIndex>> answered_;                    // (accused, complainer)
  std::map<std::pair<ParticipantIndex, ParticipantIndex>, std::string> wrong_answers_;  // why an answer failed
  std::map<ParticipantIndex, std::string> excluded_;
};

// Compares confirmations from all participants: fails with kProtocolAbort
// naming the first dealer whose dealing digests differ between participants
// (it equivocated), or the participant whose qualified set differs.
Status dkg_check_confirmations(const std::vector<DkgConfirmation>& confirmations);

}  // namespace vigil
