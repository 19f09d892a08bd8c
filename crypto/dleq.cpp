#include "internal/dleq_impl.h"

namespace vigil {

VIGIL_INSTANTIATE_DLEQ(Ristretto255)
VIGIL_INSTANTIATE_DLEQ(Secp256k1)

}  // namespace vigil
