// PrecomputedElement: table-based constant-time multiplication on
// ristretto255 (fixed_base25519.h); a plain libsecp256k1 multiplication on
// secp256k1, whose public API has no precomputation for arbitrary bases.
#include "internal/fixed_base25519.h"
#include "internal/msm.h"
#include "vigil/group.h"

namespace vigil {

using R = Ristretto255;
using K = Secp256k1;

namespace {

const internal::FixedBase25519& table_of(const std::shared_ptr<const void>& p) {
  return *static_cast<const internal::FixedBase25519*>(p.get());
}

}  // namespace

template <>
PrecomputedElement<R>::PrecomputedElement(const Element<R>& base)
    : base_(base),
      table_(std::make_shared<const internal::FixedBase25519>(internal::PointOps<R>::from_element(base))) {}

template <>
Element<R> PrecomputedElement<R>::mult(const Scalar<R>& k) const {
  auto bytes = k.encode();
  auto point = table_of(table_).mult(bytes);
  secure_wipe(bytes.data(), bytes.size());
  return internal::PointOps<R>::to_element(point);
}

template <>
Element<R> PrecomputedElement<R>::mult_add_vartime(const Scalar<R>& a, const Scalar<R>& b, const Element<R>& q) const {
  using Ops = internal::PointOps<R>;
  const internal::Limbs b_canonical = internal::from_mont(b.limbs(), internal::group_order<R>());
  const auto q_point = Ops::from_element(q);
  const auto bq = internal::straus_vartime<R>(std::span(&b_canonical, 1), std::span(&q_point, 1));
  return Ops::to_element(Ops::add(table_of(table_).mult(a.encode()), bq));
}

template <>
PrecomputedElement<K>::PrecomputedElement(const Element<K>& base) : base_(base) {}

template <>
Element<K> PrecomputedElement<K>::mult(const Scalar<K>& k) const {
  return base_ == Element<K>::generator() ? Element<K>::base_mult(k) : base_.mult(k);
}

template <>
Element<K> PrecomputedElement<K>::mult_add_vartime(const Scalar<K>& a, const Scalar<K>& b, const Element<K>& q) const {
  const Scalar<K> scalars[2] = {a.clone(), b.clone()};
  const Element<K> points[2] = {base_, q};
  return multi_scalar_mult_vartime<K>(scalars, points).value();
}

}  // namespace vigil
