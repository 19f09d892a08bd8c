// The definitions of vigil/shamir.h's templates for any curve: shamir.cpp instantiates them
// for vigil's curves, the exhaustive tests (tests/crypto/tiny_group.h) for a
// group of order 13.
#pragma once

#include <algorithm>
#include <mutex>
#include <unordered_set>

#include "msm.h"
#include "vigil/shamir.h"

namespace vigil {

namespace {

inline Status check_index(ParticipantIndex index) {
  return check_indices(std::span<const ParticipantIndex>(&index, 1));
}

}  // namespace

// ---------------------------------------------------------------------------
// Polynomial

template <Curve C>
Result<Polynomial<C>> Polynomial<C>::random(Rng& rng, std::size_t threshold) {
  return random_with_secret(rng, Scalar<C>::random(rng), threshold);
}

template <Curve C>
Result<Polynomial<C>> Polynomial<C>::random_with_secret(Rng& rng, Scalar<C> secret, std::size_t threshold) {
  if (threshold == 0 || threshold > kMaxParticipants) {
    return make_error(ErrorCode::kInvalidInput, "threshold must be in 1.." + std::to_string(kMaxParticipants));
  }
  std::vector<Scalar<C>> c;
  c.reserve(threshold);
  c.push_back(std::move(secret));
  while (c.size() < threshold) c.push_back(Scalar<C>::random(rng));
  return Polynomial(std::move(c));
}

template <Curve C>
Result<Polynomial<C>> Polynomial<C>::from_coefficients(std::vector<Scalar<C>> coefficients) {
  if (coefficients.empty() || coefficients.size() > kMaxParticipants) {
    return make_error(ErrorCode::kInvalidInput,
                      "a polynomial needs 1.." + std::to_string(kMaxParticipants) + " coefficients");
  }
  return Polynomial(std::move(coefficients));
}

template <Curve C>
Scalar<C> Polynomial<C>::evaluate(ParticipantIndex x) const {
  // Horner's rule.
  const Scalar<C> xs = Scalar<C>::from_u64(x);
  Scalar<C> acc = coefficients_.back().clone();
  for (std::size_t j = coefficients_.size() - 1; j-- > 0;) {
    acc *= xs;
    acc += coefficients_[j];
  }
  return acc;
}

// ---------------------------------------------------------------------------
// Feldman commitments

// The commitments in internal point form, built on first verification: a
// dealer that only publishes them never pays for the conversion.
template <Curve C>
struct FeldmanCommitment<C>::Precomputed {
  std::once_flag once;
  std::vector<typename internal::PointOps<C>::Point> points;

  const std::vector<typename internal::PointOps<C>::Point>& get(std::span<const Element<C>> elements) {
    std::call_once(once, [&] {
      points.reserve(elements.size());
      for (const auto& e : elements) points.push_back(internal::PointOps<C>::from_element(e));
    });
    return points;
  }

  typename internal::PointOps<C>::Point evaluate(std::span<const Element<C>> elements, ParticipantIndex index) {
    return internal::evaluate_in_exponent_vartime<C>(get(elements), index);
  }
};

template <Curve C>
Result<FeldmanCommitment<C>> FeldmanCommitment<C>::combine(std::span<const FeldmanCommitment* const> parts,
                                                           std::span<const Scalar<C>> weights) {
  using Ops = internal::PointOps<C>;
  if (parts.empty() || parts.size() != weights.size()) {
    return make_error(ErrorCode::kInvalidInput, "combining commitments needs one weight per commitment");
  }
  const std::size_t t = parts.front()->threshold();
  std::vector<const std::vector<typename Ops::Point>*> points;
  for (const auto* part : parts) {
    if (part->threshold() != t) return make_error(ErrorCode::kInvalidInput, "commitments of different thresholds");
    points.push_back(&part->precomputed_->get(part->elements_));
  }
  const bool unweighted =
      std::all_of(weights.begin(), weights.end(), [](const Scalar<C>& w) { return w == Scalar<C>::one(); });
  std::vector<internal::Limbs> canonical;
  for (const auto& w : weights) canonical.push_back(internal::from_mont(w.limbs(), internal::group_order<C>()));
  std::vector<Element<C>> combined;
  std::vector<typename Ops::Point> column(parts.size());
  for (std::size_t k = 0; k < t; ++k) {
    for (std::size_t i = 0; i < parts.size(); ++i) column[i] = (*points[i])[k];
    typename Ops::Point sum = column.front();
    if (unweighted) {
      for (std::size_t i = 1; i < column.size(); ++i) sum = Ops::add(sum, column[i]);
    } else {
      sum = internal::straus_vartime<C>(canonical, column);
    }
    combined.push_back(Ops::to_element(sum));
  }
  return create(std::move(combined), t);
}

template <Curve C>
FeldmanCommitment<C>::FeldmanCommitment(std::vector<Element<C>> elements)
    : elements_(std::move(elements)), precomputed_(std::make_shared<Precomputed>()) {}

template <Curve C>
FeldmanCommitment<C> FeldmanCommitment<C>::commit(const Polynomial<C>& polynomial) {
  std::vector<Element<C>> elements;
  elements.reserve(polynomial.threshold());
  for (const auto& a : polynomial.coefficients()) elements.push_back(Element<C>::base_mult(a));
  return FeldmanCommitment(std::move(elements));
}

template <Curve C>
Result<FeldmanCommitment<C>> FeldmanCommitment<C>::create(std::vector<Element<C>> elements, std::size_t threshold) {
  if (threshold == 0 || threshold > kMaxParticipants) {
    return make_error(ErrorCode::kInvalidInput, "threshold must be in 1.." + std::to_string(kMaxParticipants));
  }
  if (elements.size() != threshold) {
    return make_error(ErrorCode::kInvalidInput, "commitment vector has " + std::to_string(elements.size()) +
                                                    " entries; threshold " + std::to_string(threshold) +
                                                    " requires exactly " + std::to_string(threshold));
  }
  for (std::size_t j = 0; j < elements.size(); ++j) {
    if (elements[j].is_identity()) {
      return make_error(ErrorCode::kInvalidInput, "commitment " + std::to_string(j) + " is the identity element");
    }
  }
  return FeldmanCommitment(std::move(elements));
}

template <Curve C>
Result<Element<C>> FeldmanCommitment<C>::public_share(ParticipantIndex index) const {
  VIGIL_RETURN_IF_ERROR(check_index(index));
  return internal::PointOps<C>::to_element(precomputed_->evaluate(elements_, index));
}

template <Curve C>
Status FeldmanCommitment<C>::verify_public_share(ParticipantIndex index, const Element<C>& public_share) const {
  using Ops = internal::PointOps<C>;
  VIGIL_RETURN_IF_ERROR(check_index(index));
  if (!Ops::equal(Ops::from_element(public_share), precomputed_->evaluate(elements_, index))) {
    return make_error(ErrorCode::kVerificationFailed,
                      "public share of participant " + std::to_string(index) + " does not match the commitments",
                      index);
  }
  return {};
}

template <Curve C>
Status FeldmanCommitment<C>::verify_share(ParticipantIndex index, const Scalar<C>& value) const {
  VIGIL_RETURN_IF_ERROR(check_index(index));
  // value * G in constant time (the share is secret), the rest on public data.
  auto status = verify_public_share(index, Element<C>::base_mult(value));
  if (!status) {
    return make_error(ErrorCode::kVerificationFailed,
                      "share of participant " + std::to_string(index) + " does not match the commitments", index);
  }
  return {};
}

// ---------------------------------------------------------------------------
// Lagrange interpolation

template <Curve C>
Result<std::vector<Scalar<C>>> lagrange_coefficients(std::span<const ParticipantIndex> indices, ParticipantIndex at) {
  VIGIL_RETURN_IF_ERROR(check_indices(indices));
  const std::size_t t = indices.size();
  if (t == 0) return make_error(ErrorCode::kInvalidInput, "interpolation needs at least one index");

  // Numerators prod_{j != i} (at - x_j) from prefix and suffix products.
  std::vector<Scalar<C>> diff(t), prefix(t + 1), suffix(t + 1);
  const Scalar<C> at_s = Scalar<C>::from_u64(at);
  for (std::size_t i = 0; i < t; ++i) diff[i] = at_s - Scalar<C>::from_u64(indices[i]);
  prefix[0] = Scalar<C>::one();
  suffix[t] = Scalar<C>::one();
  for (std::size_t i = 0; i < t; ++i) prefix[i + 1] = prefix[i] * diff[i];
  for (std::size_t i = t; i-- > 0;) suffix[i] = suffix[i + 1] * diff[i];

  // Denominators prod_{j != i} (x_i - x_j). The differences are small
  // integers, so several are multiplied in 64 bits before each reduction.
  std::vector<Scalar<C>> den(t);
  for (std::size_t i = 0; i < t; ++i) {
    Scalar<C> d = Scalar<C>::one();
    std::uint64_t acc = 1;
    bool negative = false;
    for (std::size_t j = 0; j < t; ++j) {
      if (j == i) continue;
      std::int64_t delta = static_cast<std::int64_t>(indices[i]) - static_cast<std::int64_t>(indices[j]);
      if (delta < 0) {
        negative = !negative;
        delta = -delta;
      }
      std::uint64_t next;
      if (__builtin_mul_overflow(acc, static_cast<std::uint64_t>(delta), &next)) {
        d *= Scalar<C>::from_u64(acc);
        next = static_cast<std::uint64_t>(delta);
      }
      acc = next;
    }
    d *= Scalar<C>::from_u64(acc);
    den[i] = negative ? -d : std::move(d);
  }

  // Batch inversion (Montgomery's trick): one inversion for all t.
  std::vector<Scalar<C>> running(t);
  running[0] = den[0].clone();
  for (std::size_t i = 1; i < t; ++i) running[i] = running[i - 1] * den[i];
  VIGIL_ASSIGN_OR_RETURN(Scalar<C> inv, running[t - 1].invert_vartime());
  std::vector<Scalar<C>> lambda(t);
  for (std::size_t i = t; i-- > 0;) {
    Scalar<C> inv_den_i = i == 0 ? inv.clone() : inv * running[i - 1];
    inv *= den[i];
    lambda[i] = prefix[i] * suffix[i + 1] * inv_den_i;
  }
  return lambda;
}

template <Curve C>
Result<Scalar<C>> interpolate(std::span<const SecretShare<C>> shares) {
  std::vector<ParticipantIndex> indices;
  indices.reserve(shares.size());
  for (const auto& s : shares) indices.push_back(s.index);
  VIGIL_ASSIGN_OR_RETURN(auto lambda, lagrange_coefficients<C>(indices));
  Scalar<C> secret;
  for (std::size_t i = 0; i < shares.size(); ++i) secret += lambda[i] * shares[i].value;
  return secret;
}

template <Curve C>
Result<Element<C>> interpolate_in_exponent(std::span<const ParticipantIndex> indices,
                                           std::span<const Element<C>> values) {
  if (indices.size() != values.size()) {
    return make_error(ErrorCode::kInvalidInput, "interpolation needs one value per index");
  }
  VIGIL_ASSIGN_OR_RETURN(auto lambda, lagrange_coefficients<C>(indices));
  return internal::weighted_sum_of_secret_elements<C>(lambda, values);
}

// Explicit instantiations of the above for curve C (inside namespace vigil).
#define VIGIL_INSTANTIATE_SHAMIR(C)                                                                   \
  template class Polynomial<C>;                                                                       \
  template class FeldmanCommitment<C>;                                                                \
  template Result<std::vector<Scalar<C>>> lagrange_coefficients<C>(std::span<const ParticipantIndex>, \
                                                                   ParticipantIndex);                 \
  template Result<Scalar<C>> interpolate<C>(std::span<const SecretShare<C>>);                         \
  template Result<Element<C>> interpolate_in_exponent<C>(std::span<const ParticipantIndex>,           \
                                                         std::span<const Element<C>>);

}  // namespace vigil
