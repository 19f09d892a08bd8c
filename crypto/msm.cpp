// Multi-scalar multiplication for vigil's curves (see internal/msm_impl.h).
#include "internal/msm_impl.h"

namespace vigil {

template Result<Element<Ristretto255>> multi_scalar_mult_vartime(std::span<const Scalar<Ristretto255>>,
                                                                 std::span<const Element<Ristretto255>>);
template Result<Element<Secp256k1>> multi_scalar_mult_vartime(std::span<const Scalar<Secp256k1>>,
                                                              std::span<const Element<Secp256k1>>);

namespace internal {

template Result<Element<Ristretto255>> weighted_sum_of_secret_elements(std::span<const Scalar<Ristretto255>>,
                                                                       std::span<const Element<Ristretto255>>);
template Result<Element<Secp256k1>> weighted_sum_of_secret_elements(std::span<const Scalar<Secp256k1>>,
                                                                    std::span<const Element<Secp256k1>>);

}  // namespace internal

}  // namespace vigil
