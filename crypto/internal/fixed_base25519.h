// Constant-time multiplication of a fixed edwards25519 point by secret
// scalars, from a table of precomputed multiples (the ref10 method:
// signed radix-16 digits, 64 table additions and 4 doublings). libsodium
// offers this only for the standard generator; vigil also needs it for a
// group key and TDH2's second generator, which it multiplies by fresh
// secrets on every encryption.
//
// Constant time: every table lookup reads all eight entries and selects by
// mask; the unified addition law on a = -1 twisted Edwards curves is complete,
// so no input takes a different path.
#pragma once

#include <array>
#include <cstdint>

#include "edwards25519.h"

namespace vigil::internal {

class FixedBase25519 {
 public:
  explicit FixedBase25519(const EdwardsPoint& base);

  // k * base for a little-endian scalar below 2^255.
  EdwardsPoint mult(const std::array<std::uint8_t, 32>& scalar) const;

 private:
  struct Niels {  // affine (y + x, y - x, 2 d x y)
    Fe25519 y_plus_x, y_minus_x, xy2d;
  };
  static Niels select(const std::array<Niels, 8>& row, std::int8_t digit);
  static EdwardsPoint add(const EdwardsPoint& p, const Niels& q);

  std::array<std::array<Niels, 8>, 32> table_;  // table_[i][j] = (j + 1) * 256^i * base
};

}  // namespace vigil::internal
