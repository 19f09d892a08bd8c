#include "internal/msm.h"

#include "vigil/group.h"

namespace vigil {

template <Curve C>
Result<Element<C>> multi_scalar_mult_vartime(std::span<const Scalar<C>> scalars, std::span<const Element<C>> elements) {
  using Ops = internal::PointOps<C>;
  if (scalars.size() != elements.size()) {
    return make_error(ErrorCode::kInvalidInput, "multi-scalar multiplication needs one scalar per element");
  }
  std::vector<internal::Limbs> canonical(scalars.size());
  std::vector<typename Ops::Point> points(elements.size());
  for (std::size_t i = 0; i < scalars.size(); ++i) {
    canonical[i] = internal::from_mont(scalars[i].limbs(), internal::group_order<C>());
    points[i] = Ops::from_element(elements[i]);
  }
  return Ops::to_element(internal::straus_vartime<C>(canonical, points));
}

template Result<Element<Ristretto255>> multi_scalar_mult_vartime(std::span<const Scalar<Ristretto255>>,
                                                                 std::span<const Element<Ristretto255>>);
template Result<Element<Secp256k1>> multi_scalar_mult_vartime(std::span<const Scalar<Secp256k1>>,
                                                              std::span<const Element<Secp256k1>>);

}  // namespace vigil
