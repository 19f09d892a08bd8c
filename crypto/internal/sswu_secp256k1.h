// RFC 9380 map_to_curve for secp256k1: simplified SWU onto the isogenous
// curve E': y^2 = x^3 + A'x + B' (section 6.6.2), then the 3-isogeny to
// secp256k1 (Appendix E.1). Inputs are hash outputs of public messages, so
// this runs in variable time.
#pragma once

#include "secp256k1_point.h"

namespace vigil::internal {

JacobianPoint map_to_curve_secp256k1(const FeSecp& u);

}  // namespace vigil::internal
