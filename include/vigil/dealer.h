// Trusted-dealer key generation: one party samples the group key, splits it
// into n shares with a threshold t, and publishes Feldman commitments. The
// dealer sees the whole key; vigil's DKG removes it. Offered for
// compatibility (FairyRing's share generation) and as the benchmark of share
// generation.
#pragma once

#include <vector>

#include "vigil/seal.h"
#include "vigil/shamir.h"

namespace vigil {

template <Curve C>
struct DealtShare {
  ParticipantIndex index = 0;
  Scalar<C> secret_share;
  Element<C> public_share;  // secret_share * G

  // The share as the protocols take it (tdh2_decryption_share, ...): a copy.
  SecretShare<C> share() const { return {index, secret_share.clone()}; }
};

template <Curve C>
struct Deal {
  FeldmanCommitment<C> commitment;
  std::vector<DealtShare<C>> shares;  // index i at position i - 1

  std::size_t threshold() const { return commitment.threshold(); }
  std::size_t parties() const { return shares.size(); }
  const Element<C>& group_public_key() const { return commitment.group_public_key(); }
  // X_1..X_n, as tdh2_combine and the cluster description take them.
  std::vector<Element<C>> public_shares() const {
    std::vector<Element<C>> out;
    out.reserve(shares.size());
    for (const auto& s : shares) out.push_back(s.public_share);
    return out;
  }
};

// A fresh group key split t-of-n, coefficients from `rng` (the system CSPRNG
// in production). Fails with kInvalidInput when t or n is out of range.
template <Curve C>
Result<Deal<C>> deal(Rng& rng, std::size_t parties, std::size_t threshold);

// Shares of a given polynomial (for known-answer tests and resharing).
template <Curve C>
Result<Deal<C>> deal_polynomial(const Polynomial<C>& polynomial, std::size_t parties);

// Checks a whole deal: indices 1..n in order, every share and public share
// consistent with the commitments. Fails naming the first bad index.
template <Curve C>
Status verify_deal(const Deal<C>& deal);

// Seals a share to its recipient's X25519 key. The associated data binds the
// curve, the group public key and the index, so a sealed share cannot be
// passed off as another participant's or another key's.
template <Curve C>
Result<Bytes> seal_share(Rng& rng, const X25519PublicKey& recipient, const Element<C>& group_public_key,
                         const SecretShare<C>& share);

// Opens a sealed share and checks it against the commitments: fails with
// kVerificationFailed when the box does not open or the share does not verify.
template <Curve C>
Result<SecretShare<C>> open_share(ByteSpan recipient_secret_key, ByteSpan sealed,
                                  const FeldmanCommitment<C>& commitment, ParticipantIndex index);

}  // namespace vigil
