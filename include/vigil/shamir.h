// Shamir (t, n) secret sharing over Z_q with Feldman commitments.
//
// A polynomial f of degree t - 1 over Z_q shares f(0) among participants
// 1..n: participant i holds f(i). Feldman's commitments C_j = a_j * G to the
// coefficients let anyone check a share against the public vector; C_0 is
// the group public key. Any t shares recover f(0) by Lagrange interpolation,
// t - 1 reveal nothing about it.
//
// References: Shamir, "How to share a secret" (1979); Feldman, "A practical
// scheme for non-interactive verifiable secret sharing" (1987).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "vigil/group.h"

namespace vigil {

using ParticipantIndex = std::uint32_t;

// The largest number of participants vigil supports.
inline constexpr std::size_t kMaxParticipants = 10000;

// 1 <= t <= n <= kMaxParticipants, or kInvalidInput saying which bound fails.
Status check_threshold(std::size_t parties, std::size_t threshold);

// Indices are in 1..kMaxParticipants and distinct; otherwise kInvalidInput
// naming the offending index in Error::party.
Status check_indices(std::span<const ParticipantIndex> indices);

template <Curve C>
struct SecretShare {
  ParticipantIndex index = 0;
  Scalar<C> value;

  SecretShare clone() const { return {index, value.clone()}; }
};

// A secret polynomial. Move-only; its coefficients are wiped with it.
template <Curve C>
class Polynomial {
 public:
  // Uniformly random non-zero coefficients; the constant term is the secret.
  static Result<Polynomial> random(Rng& rng, std::size_t threshold);
  // Random, except for a given constant term.
  static Result<Polynomial> random_with_secret(Rng& rng, Scalar<C> secret, std::size_t threshold);
  // Exactly these coefficients, lowest degree first (at least one).
  static Result<Polynomial> from_coefficients(std::vector<Scalar<C>> coefficients);

  Polynomial(Polynomial&&) noexcept = default;
  Polynomial& operator=(Polynomial&&) noexcept = default;
  Polynomial(const Polynomial&) = delete;
  Polynomial& operator=(const Polynomial&) = delete;

  std::size_t threshold() const { return coefficients_.size(); }
  std::span<const Scalar<C>> coefficients() const { return coefficients_; }
  const Scalar<C>& secret() const { return coefficients_.front(); }

  // f(x), in constant time in the coefficients.
  Scalar<C> evaluate(ParticipantIndex x) const;

 private:
  explicit Polynomial(std::vector<Scalar<C>> c) : coefficients_(std::move(c)) {}
  std::vector<Scalar<C>> coefficients_;
};

// Feldman commitments to a polynomial: exactly t elements, C_j = a_j * G.
template <Curve C>
class FeldmanCommitment {
 public:
  static FeldmanCommitment commit(const Polynomial<C>& polynomial);

  // Accepts a received vector only if it has exactly `threshold` entries
  // (a longer vector would silently raise the threshold) and none is the
  // identity. Fails with kInvalidInput otherwise.
  static Result<FeldmanCommitment> create(std::vector<Element<C>> elements, std::size_t threshold);

  // sum_i weights[i] * parts[i], entry by entry, in variable time (public
  // data): the joint commitment of a DKG (all weights 1) or of a resharing
  // (Lagrange weights). Reuses each part's decoded points. kInvalidInput if
  // the thresholds differ or the sum has an identity entry.
  static Result<FeldmanCommitment> combine(std::span<const FeldmanCommitment* const> parts,
                                           std::span<const Scalar<C>> weights);

  std::size_t threshold() const { return elements_.size(); }
  std::span<const Element<C>> elements() const { return elements_; }
  const Element<C>& group_public_key() const { return elements_.front(); }

  // sum_j i^j C_j = f(i) * G: participant i's public share. Variable time
  // (public data); fails with kInvalidInput on an index outside 1..max.
  Result<Element<C>> public_share(ParticipantIndex index) const;

  // Checks value * G == public_share(index). kVerificationFailed (naming
  // the index) when the share does not match; kInvalidInput on a bad index.
  Status verify_share(ParticipantIndex index, const Scalar<C>& value) const;
  Status verify_share(const SecretShare<C>& share) const { return verify_share(share.index, share.value); }

  // Checks a claimed public share against the commitments.
  Status verify_public_share(ParticipantIndex index, const Element<C>& public_share) const;

  struct Precomputed;  // the elements in vigil's internal point form

 private:
  explicit FeldmanCommitment(std::vector<Element<C>> elements);
  std::vector<Element<C>> elements_;
  std::shared_ptr<Precomputed> precomputed_;  // shared by copies; built once, thread-safe
};

// The Lagrange coefficients of `indices` for evaluation at `at` (0 for the
// secret): lambda_i = prod_{j != i} (at - x_j) / (x_i - x_j). Public values.
// Fails with kInvalidInput (naming the index) on an invalid or repeated index.
template <Curve C>
Result<std::vector<Scalar<C>>> lagrange_coefficients(std::span<const ParticipantIndex> indices,
                                                     ParticipantIndex at = 0);

// f(0) from shares of distinct indices. With fewer than t shares the result
// is a meaningless value: the caller supplies at least t.
template <Curve C>
Result<Scalar<C>> interpolate(std::span<const SecretShare<C>> shares);

// f(0) * P from the values f(i) * P at the given indices, in constant time in
// the values (the indices are public): it combines decryption shares.
template <Curve C>
Result<Element<C>> interpolate_in_exponent(std::span<const ParticipantIndex> indices,
                                           std::span<const Element<C>> values);

}  // namespace vigil
