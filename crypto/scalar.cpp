// Scalar arithmetic modulo the group order, generic over the curve: the same
// constant-time Montgomery code serves ristretto255 and secp256k1.
#include "internal/scalar_impl.h"

namespace vigil {

template class Scalar<Ristretto255>;
template class Scalar<Secp256k1>;

}  // namespace vigil
