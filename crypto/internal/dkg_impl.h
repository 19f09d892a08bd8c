// The definitions of DkgParticipant (vigil/dkg.h) for any curve: dkg.cpp instantiates them
// for vigil's curves, the exhaustive tests (tests/crypto/tiny_group.h) for a
// group of order 13.
#pragma once

#include <algorithm>

#include "declassify.h"
#include "vigil/byte_writer.h"
#include "vigil/dkg.h"
#include "vigil/hash.h"
#include "vigil/hash_to_curve.h"

namespace vigil {
namespace {

// Proof-of-knowledge challenge, bound to the protocol context (session, old
// threshold, epoch) and the dealer's index.
template <Curve C>
Scalar<C> pok_challenge(ByteSpan context, ParticipantIndex dealer, const Element<C>& constant,
                        const Element<C>& commitment) {
  ByteWriter w;
  w.field(C::kName).field(context).u32(dealer).field(constant.encode()).field(commitment.encode());
  return hash_to_scalar<C>(w.bytes(), "vigil/v1/dkg/proof-of-knowledge");
}

template <Curve C>
Bytes share_context(ByteSpan context, ParticipantIndex dealer, ParticipantIndex recipient) {
  ByteWriter w;
  w.field("vigil/v1/dkg/share").field(C::kName).field(context).u32(dealer).u32(recipient);
  return w.take();
}

template <Curve C>
std::array<std::uint8_t, 32> dealing_digest(ByteSpan context, const DkgDealing<C>& d) {
  ByteWriter w;
  w.field("vigil/v1/dkg/dealing")
      .field(C::kName)
      .field(context)
      .u32(d.dealer)
      .u32(static_cast<std::uint32_t>(d.commitments.size()));
  for (const auto& c : d.commitments) w.field(c.encode());
  w.field(d.proof.commitment.encode()).field(d.proof.response.encode());
  return sha256(w.bytes());
}

}  // namespace

template <Curve C>
Result<DkgParticipant<C>> DkgParticipant<C>::create(const DkgParameters& p, ParticipantIndex self,
                                                    SecretBytes own_secret,
                                                    std::vector<X25519PublicKey> recipient_keys) {
  VIGIL_RETURN_IF_ERROR(check_threshold(p.parties, p.threshold));
  if (self == 0 || self > p.parties) {
    return make_error(ErrorCode::kInvalidInput, "participant index must be between 1 and " + std::to_string(p.parties));
  }
  if (recipient_keys.size() != p.parties)
    return make_error(ErrorCode::kInvalidInput, "need one X25519 key per participant");
  if (own_secret.size() != kX25519Bytes)
    return make_error(ErrorCode::kInvalidInput, "X25519 secret key must be 32 bytes");
  return DkgParticipant(p, self, self, std::move(own_secret), std::move(recipient_keys));
}

template <Curve C>
Result<DkgParticipant<C>> DkgParticipant<C>::create_reshare(const DkgParameters& p, ReshareSource<C> source,
                                                            std::optional<SecretShare<C>> old_share,
                                                            ParticipantIndex new_index, SecretBytes own_secret,
                                                            std::vector<X25519PublicKey> recipient_keys) {
  VIGIL_RETURN_IF_ERROR(check_threshold(p.parties, p.threshold));
  VIGIL_RETURN_IF_ERROR(check_threshold(source.old_parties, source.old_commitment.threshold()));
  if (new_index > p.parties) return make_error(ErrorCode::kInvalidInput, "new index beyond the new committee");
  if (!old_share && new_index == 0) return make_error(ErrorCode::kInvalidInput, "neither an old nor a new member");
  if (old_share) {
    if (old_share->index == 0 || old_share->index > source.old_parties) {
      return make_error(ErrorCode::kInvalidInput, "old share index out of range");
    }
    VIGIL_RETURN_IF_ERROR(source.old_commitment.verify_share(old_share->index, old_share->value));
  }
  if (recipient_keys.size() != p.parties)
    return make_error(ErrorCode::kInvalidInput, "need one X25519 key per new member");
  if (own_secret.size() != kX25519Bytes)
    return make_error(ErrorCode::kInvalidInput, "X25519 secret key must be 32 bytes");
  DkgParticipant part(p, old_share ? old_share->index : 0, new_index, std::move(own_secret), std::move(recipient_keys));
  part.source_ = std::move(source);
  part.old_share_ = std::move(old_share);
  return part;
}

template <Curve C>
Bytes DkgParticipant<C>::context() const {
  ByteWriter w;
  w.field(params_.session_id)
      .u32(static_cast<std::uint32_t>(params_.parties))
      .u32(static_cast<std::uint32_t>(params_.threshold));
  if (source_) {
    w.field("reshare").u32(static_cast<std::uint32_t>(source_->old_parties));
    w.u32(static_cast<std::uint32_t>(source_->old_commitment.threshold())).u32(source_->old_epoch);
    w.field(source_->old_commitment.group_public_key().encode());
  }
  return w.take();
}

template <Curve C>
void DkgParticipant<C>::exclude(ParticipantIndex dealer, const std::string& why) {
  excluded_.emplace(dealer, why);
}

template <Curve C>
Result<typename DkgParticipant<C>::Deal> DkgParticipant<C>::deal(Rng& rng) {
  if (dealer_self_ == 0) return make_error(ErrorCode::kInvalidInput, "this participant holds no old share to deal");
  if (polynomial_) return make_error(ErrorCode::kInvalidInput, "this participant has already dealt");
  auto f = old_share_ ? Polynomial<C>::random_with_secret(rng, old_share_->value.clone(), params_.threshold)
                      : Polynomial<C>::random(rng, params_.threshold);
  if (!f) return f.error();
  const Bytes ctx = context();
  const auto commitment = FeldmanCommitment<C>::commit(*f);
  const Scalar<C> k = Scalar<C>::random(rng);
  const Element<C> r = Element<C>::base_mult(k);
  const Scalar<C> c = pok_challenge<C>(ctx, dealer_self_, commitment.group_public_key(), r);
  Deal out{{dealer_self_,
            std::vector<Element<C>>(commitment.elements().begin(), commitment.elements().end()),
            {r, k + c * f->secret()}},
           {}};
  for (ParticipantIndex j = 1; j <= params_.parties; ++j) {
    if (j == recipient_self_) {
      received_.insert_or_assign(dealer_self_, f->evaluate(j));
      continue;
    }
    auto value = f->evaluate(j).encode();
    auto sealed = seal(rng, recipient_keys_[j - 1], value, share_context<C>(ctx, dealer_self_, j));
    secure_wipe(value.data(), value.size());
    if (!sealed) {
      return make_error(sealed.error().code,
                        "sealing the share for participant " + std::to_string(j) + ": " + sealed.error().message, j);
    }
    out.shares.push_back({dealer_self_, j, std::move(sealed).value()});
  }
  polynomial_ = std::move(f).value();
  // The proof's response is broadcast with the dealing: public from here
  // on, and checked below with the others' in variable time.
  VIGIL_DECLASSIFY(&out.dealing.proof.response, sizeof out.dealing.proof.response);
  VIGIL_RETURN_IF_ERROR(receive_dealing(out.dealing));
  return out;
}

template <Curve C>
Status DkgParticipant<C>::receive_dealing(const DkgDealing<C>& d) {
  if (d.dealer == 0 || d.dealer > dealers()) {
    return make_error(ErrorCode::kInvalidInput, "dealing from unknown participant " + std::to_string(d.dealer),
                      d.dealer);
  }
  const Bytes ctx = context();
  if (auto it = dealings_.find(d.dealer); it != dealings_.end()) {
    if (dealing_digest(ctx, it->second) == dealing_digest(ctx, d)) return {};
    exclude(d.dealer, "sent two different dealings");
    return make_error(ErrorCode::kProtocolAbort,
                      "participant " + std::to_string(d.dealer) + " sent two different dealings", d.dealer);
  }
  dealings_.emplace(d.dealer, d.clone());
  auto commitment = FeldmanCommitment<C>::create(d.commitments, params_.threshold);
  if (!commitment) {
    exclude(d.dealer, commitment.error().message);
    return {};
  }
  const Scalar<C> c = pok_challenge<C>(ctx, d.dealer, d.commitments.front(), d.proof.commitment);
  // response G == R + c C_0, on public values: one variable-time sum
  // response G - c C_0 - R that must be the identity.
  const Scalar<C> scalars[3] = {d.proof.response.clone(), -c, -Scalar<C>::one()};
  const Element<C> points[3] = {Element<C>::generator(), d.commitments.front(), d.proof.commitment};
  const auto pok_sum = multi_scalar_mult_vartime<C>(scalars, points);
  if (!pok_sum || !pok_sum->is_identity()) {
    exclude(d.dealer, "invalid proof of knowledge of its secret");
    return {};
  }
  if (source_) {
    // A resharing dealer must share exactly its old share.
    auto old_public = source_->old_commitment.public_share(d.dealer);
    if (!old_public || !(*old_public == d.commitments.front())) {
      exclude(d.dealer, "its dealing does not share its old share");
      return {};
    }
  }
  commitments_.emplace(d.dealer, std::move(commitment).value());
  return {};
}

template <Curve C>
Status DkgParticipant<C>::receive_share(const DkgSealedShare& s) {
  if (recipient_self_ == 0 || s.recipient != recipient_self_) {
    return make_error(ErrorCode::kInvalidInput, "share addressed to participant " + std::to_string(s.recipient),
                      s.dealer);
  }
  if (s.dealer == 0 || s.dealer > dealers() || s.dealer == dealer_self_) {
    return make_error(ErrorCode::kInvalidInput, "share from unexpected dealer " + std::to_string(s.dealer), s.dealer);
  }
  auto opened = open_sealed(secret_key_.span(), s.sealed, share_context<C>(context(), s.dealer, recipient_self_));
  if (!opened) return {};  // no usable share: complaints() will raise one
  auto value = Scalar<C>::decode(opened->span());
  if (!value) return {};
  received_.insert_or_assign(s.dealer, std::move(value).value());
  return {};
}

template <Curve C>
std::vector<DkgComplaint> DkgParticipant<C>::complaints() {
  std::vector<DkgComplaint> out;
  if (recipient_self_ == 0) return out;
  for (const auto& [dealer, commitment] : commitments_) {
    if (dealer == dealer_self_ || excluded_.count(dealer)) continue;
    auto it = received_.find(dealer);
    if (it == received_.end() || !commitment.verify_share(recipient_self_, it->second)) {
      received_.erase(dealer);
      open_complaints_.emplace(dealer, recipient_self_);
      out.push_back({recipient_self_, dealer});
    }
  }
  return out;
}

template <Curve C>
Status DkgParticipant<C>::receive_complaint(const DkgComplaint& c) {
  if (c.accused == 0 || c.accused > dealers() || c.complainer == 0 || c.complainer > params_.parties ||
      (!source_ && c.accused == c.complainer)) {
    return make_error(ErrorCode::kInvalidInput, "malformed complaint", c.complainer);
  }
  // A complaint already answered stays answered, however often it is repeated.
  if (!answered_.count({c.accused, c.complainer})) open_complaints_.emplace(c.accused, c.complainer);
  return {};
}

template <Curve C>
std::vector<DkgJustification<C>> DkgParticipant<C>::justifications() const {
  std::vector<DkgJustification<C>> out;
  if (!polynomial_) return out;
  for (const auto& [accused, complainer] : open_complaints_) {
    if (accused == dealer_self_) out.push_back({dealer_self_, complainer, polynomial_->evaluate(complainer)});
  }
  return out;
}

template <Curve C>
Status DkgParticipant<C>::receive_justification(const DkgJustification<C>& j) {
  auto commitment = commitments_.find(j.dealer);
  if (commitment == commitments_.end()) {
    return make_error(ErrorCode::kInvalidInput, "justification from a dealer without a valid dealing", j.dealer);
  }
  const std::pair<ParticipantIndex, ParticipantIndex> complaint{j.dealer, j.recipient};
  if (!commitment->second.verify_share(j.recipient, j.share)) {
    const std::string why =
        "revealed a share for participant " + std::to_string(j.recipient) + " that does not match its commitments";
    if (open_complaints_.count(complaint)) wrong_answers_.emplace(complaint, why);
    return make_error(ErrorCode::kVerificationFailed, why, j.dealer);
  }
  // Settles the complaint whether it is open yet or arrives later.
  open_complaints_.erase(complaint);
  answered_.insert(complaint);
  if (j.recipient == recipient_self_) received_.insert_or_assign(j.dealer, j.share.clone());
  return {};
}

template <Curve C>
void DkgParticipant<C>::erase_secrets() {
  polynomial_.reset();
  old_share_.reset();
  received_.clear();
  secret_key_ = SecretBytes();
}

template <Curve C>
std::size_t DkgParticipant<C>::unanswered_complaints() const {
  std::size_t n = 0;
  for (const auto& [accused, complainer] : open_complaints_) n += excluded_.count(accused) ? 0 : 1;
  return n;
}

template <Curve C>
Result<DkgResult<C>> DkgParticipant<C>::finish() {
  for (const auto& complaint : open_complaints_) {
    auto wrong = wrong_answers_.find(complaint);
    exclude(complaint.first, wrong != wrong_answers_.end()
                                 ? wrong->second
                                 : "did not answer the complaint of participant " + std::to_string(complaint.second));
  }
  std::vector<ParticipantIndex> qualified, excluded;
  std::map<ParticipantIndex, std::string> exclusions;
  for (ParticipantIndex d = 1; d <= dealers(); ++d) {
    if (!dealings_.count(d)) exclude(d, "sent no dealing");
    if (excluded_.count(d) || !commitments_.count(d)) continue;
    if (recipient_self_ != 0 && !received_.count(d)) {
      return make_error(ErrorCode::kProtocolAbort, "no valid share from qualified dealer " + std::to_string(d), d);
    }
    qualified.push_back(d);
  }
  for (const auto& [d, why] : excluded_) {
    excluded.push_back(d);
    exclusions.emplace(d, why);
  }
  const std::size_t needed = source_ ? source_->old_commitment.threshold() : params_.threshold;
  if (qualified.size() < needed) {
    std::string who;
    for (const auto& [d, why] : excluded_) who += "; participant " + std::to_string(d) + ": " + why;
    return make_error(
        ErrorCode::kProtocolAbort,
        std::to_string(qualified.size()) + " dealers qualified, " + std::to_string(needed) + " needed" + who,
        excluded_.empty() ? std::nullopt : std::optional<std::uint32_t>(excluded_.begin()->first));
  }

  // Weights: 1 for a fresh key (the sum of the dealers' secrets); for a
  // resharing, the Lagrange coefficients of the qualified old members, so the
  // weighted sum of their old shares is the unchanged secret.
  std::vector<Scalar<C>> weights;
  if (source_) {
    VIGIL_ASSIGN_OR_RETURN(weights, lagrange_coefficients<C>(qualified));
  } else {
    for (std::size_t i = 0; i < qualified.size(); ++i) weights.push_back(Scalar<C>::one());
  }
  const Bytes ctx = context();
  Scalar<C> x;
  DkgConfirmation confirmation{recipient_self_, {}};
  for (std::size_t i = 0; i < qualified.size(); ++i) {
    const ParticipantIndex d = qualified[i];
    if (recipient_self_ != 0) x += weights[i] * received_.at(d);
    confirmation.dealing_digests.emplace(d, dealing_digest(ctx, dealings_.at(d)));
  }
  std::vector<const FeldmanCommitment<C>*> parts;
  for (ParticipantIndex d : qualified) parts.push_back(&commitments_.at(d));
  VIGIL_ASSIGN_OR_RETURN(FeldmanCommitment<C> commitment, FeldmanCommitment<C>::combine(parts, weights));
  if (source_ && !(commitment.group_public_key() == source_->old_commitment.group_public_key())) {
    return make_error(ErrorCode::kInternal, "resharing changed the group key");
  }
  if (recipient_self_ != 0) VIGIL_RETURN_IF_ERROR(commitment.verify_share(recipient_self_, x));
  std::vector<Element<C>> public_shares;
  for (ParticipantIndex i = 1; i <= params_.parties; ++i) {
    VIGIL_ASSIGN_OR_RETURN(Element<C> p, commitment.public_share(i));
    public_shares.push_back(p);
  }
  const Element<C> group_key = commitment.group_public_key();
  return DkgResult<C>{{recipient_self_, std::move(x)},
                      group_key,
                      std::move(public_shares),
                      std::move(commitment),
                      std::move(qualified),
                      std::move(excluded),
                      std::move(exclusions),
                      std::move(confirmation)};
}

}  // namespace vigil
