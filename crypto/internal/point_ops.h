// The variable-time point arithmetic of each curve behind one interface, so
// that multi-scalar multiplication and commitment evaluation are written once.
// PointOps<C> provides Point, identity(), add(), dbl(), neg(), equal(), and
// conversion from and to Element<C>.
#pragma once

#include "edwards25519.h"
#include "secp256k1_point.h"
#include "vigil/group.h"

namespace vigil::internal {

template <Curve C>
struct PointOps;

template <>
struct PointOps<Ristretto255> : RistrettoPointOps {
  static Point from_element(const Element<Ristretto255>& e);
  static Element<Ristretto255> to_element(const Point& p);
};

template <>
struct PointOps<Secp256k1> : SecpPointOps {
  static Point from_element(const Element<Secp256k1>& e);
  static Element<Secp256k1> to_element(const Point& p);
  static Element<Secp256k1> to_element(const AffinePoint& p);
};

}  // namespace vigil::internal
