// The definitions of multi_scalar_mult_vartime (vigil/group.h) and
// weighted_sum_of_secret_elements (msm.h) for any curve with PointOps:
// msm.cpp instantiates them for vigil's curves, the exhaustive tests
// (tests/crypto/tiny_group.h) for a group of order 13.
#pragma once

#include <type_traits>

#include "moduli.h"
#include "msm.h"
#include "secp256k1_ct_point.h"
#include "vigil/group.h"

namespace vigil {

namespace {

// The generator is in most sums (every proof check): its odd multiples up to
// 127 G are kept, which saves building a table and a third of its additions.
template <Curve C>
const internal::OddMultiples<internal::PointOps<C>>& generator_multiples() {
  using Ops = internal::PointOps<C>;
  static const internal::OddMultiples<Ops> table(Ops::from_element(Element<C>::generator()), 8);
  return table;
}

}  // namespace

template <Curve C>
Result<Element<C>> multi_scalar_mult_vartime(std::span<const Scalar<C>> scalars, std::span<const Element<C>> elements) {
  using Ops = internal::PointOps<C>;
  if (scalars.size() != elements.size()) {
    return make_error(ErrorCode::kInvalidInput, "multi-scalar multiplication needs one scalar per element");
  }
  std::vector<internal::Limbs> canonical;
  std::vector<typename Ops::Point> points;
  canonical.reserve(scalars.size());
  points.reserve(elements.size());
  const auto generator = Element<C>::generator().encode();
  Scalar<C> generator_scalar;
  for (std::size_t i = 0; i < scalars.size(); ++i) {
    // The elements may be decryption shares under verification: compared in constant time.
    if (equal_ct(elements[i].encode(), generator)) {
      generator_scalar += scalars[i];
      continue;
    }
    canonical.push_back(internal::from_mont(scalars[i].limbs(), internal::group_order<C>()));
    points.push_back(Ops::from_element(elements[i]));
  }
  const internal::FixedTerm<Ops> generator_term{
      internal::from_mont(generator_scalar.limbs(), internal::group_order<C>()), &generator_multiples<C>()};
  return Ops::to_element(internal::straus_with<Ops>(canonical, points, std::span(&generator_term, 1)));
}

namespace internal {

template <Curve C>
Result<Element<C>> weighted_sum_of_secret_elements(std::span<const Scalar<C>> public_weights,
                                                   std::span<const Element<C>> secret_elements) {
  if (public_weights.size() != secret_elements.size()) {
    return make_error(ErrorCode::kInvalidInput, "a weighted sum needs one weight per element");
  }
  if constexpr (!std::is_same_v<C, Secp256k1>) {
    // Formulas without exceptional cases (edwards25519's) take secret points as they come.
    static_assert(PointOps<C>::kCompleteAddition, "a curve's secret points need complete addition formulas");
    std::vector<Limbs> weights(public_weights.size());
    std::vector<typename PointOps<C>::Point> points(secret_elements.size());
    for (std::size_t i = 0; i < weights.size(); ++i) {
      weights[i] = from_mont(public_weights[i].limbs(), group_order<C>());
      points[i] = PointOps<C>::from_element(secret_elements[i]);
    }
    const auto sum = straus_with<PointOps<C>>(weights, points);
    vigil::secure_wipe(points.data(), points.size() * sizeof(points[0]));
    return PointOps<C>::to_element(sum);
  } else {
    // secp256k1's Jacobian formulas are incomplete: the complete ones of SecpSecretPointOps.
    std::vector<Limbs> weights(public_weights.size());
    std::vector<ProjectivePoint> points(secret_elements.size());
    for (std::size_t i = 0; i < weights.size(); ++i) {
      weights[i] = from_mont(public_weights[i].limbs(), kSecp256k1Order);
      if (secret_elements[i].is_identity()) {
        points[i] = SecpCtOps::identity();
      } else {
        const JacobianPoint p = PointOps<C>::from_element(secret_elements[i]);  // z = 1
        points[i] = {p.x, p.y, p.z};
      }
    }
    const ProjectivePoint sum = straus_with<SecpSecretPointOps>(weights, points);
    vigil::secure_wipe(points.data(), points.size() * sizeof(ProjectivePoint));
    AffinePoint affine;
    if (!SecpCtOps::to_affine(sum, affine)) return Element<C>::identity();
    return PointOps<C>::to_element(affine);
  }
}

}  // namespace internal

}  // namespace vigil
