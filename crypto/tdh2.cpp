#include "internal/tdh2_impl.h"

namespace vigil {

VIGIL_INSTANTIATE_TDH2(Ristretto255)
VIGIL_INSTANTIATE_TDH2(Secp256k1)

}  // namespace vigil
