#include "internal/dealer_impl.h"

namespace vigil {

VIGIL_INSTANTIATE_DEALER(Ristretto255)
VIGIL_INSTANTIATE_DEALER(Secp256k1)

}  // namespace vigil
