// Constant-time multiplication of a fixed point by secret scalars, from a
// table of precomputed multiples: the ref10 method (signed radix-16 digits,
// 64 table additions and 4 doublings), written once over a curve's Traits.
// vigil multiplies TDH2's second generator and a group key by fresh secrets
// on every encryption, and neither libsodium nor libsecp256k1 offers tables
// for points other than their generator.
//
// Constant time: every table lookup reads all eight entries of its row and
// selects by mask, the sign is applied by mask, and Traits::add runs one
// sequence of field operations whatever the entry (complete formulas; a zero
// digit is either an identity entry or an addition whose result is dropped
// by mask). Building the table is variable time: the base is public.
//
// Traits provides:
//   Point, Entry           the accumulator and the table entry types
//   PublicOps              the curve's variable-time PointOps, for the table
//   to_entries(points, out) public points to entries (one batch inversion)
//   identity(), dbl(p)     constant time
//   add(p, e, zero)        p + e, or p when `zero` (the digit was 0)
//   zero_entry()           what a lookup of digit 0 yields
//   select(c, a, b), neg(e) on entries
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "vigil/bytes.h"

namespace vigil::internal {

template <class Traits>
class FixedBase {
 public:
  using Point = typename Traits::Point;
  using Entry = typename Traits::Entry;
  using PublicPoint = typename Traits::PublicOps::Point;

  // The base must not be the identity.
  explicit FixedBase(const PublicPoint& base) : table_{} {
    using Ops = typename Traits::PublicOps;
    // table_[i][j] = (j + 1) * 256^i * base: all 256 multiples, then one
    // conversion to the entry form.
    std::vector<PublicPoint> multiples;
    multiples.reserve(256);
    PublicPoint row_base = base;
    for (std::size_t i = 0; i < 32; ++i) {
      PublicPoint p = row_base;
      for (std::size_t j = 0; j < 8; ++j) {
        multiples.push_back(p);
        p = Ops::add(p, row_base);
      }
      // 256 * row_base = 32 * (8 * row_base).
      row_base = multiples.back();
      for (int d = 0; d < 5; ++d) row_base = Ops::dbl(row_base);
    }
    std::vector<Entry> entries(multiples.size());
    Traits::to_entries(multiples, entries);
    for (std::size_t k = 0; k < entries.size(); ++k) table_[k / 8][k % 8] = entries[k];
  }

  // k * base for a little-endian scalar below 2^255.
  Point mult(const std::array<std::uint8_t, 32>& scalar) const {
    // Signed radix-16 digits e[i] in [-8, 8], sum e[i] 16^i = scalar.
    std::array<std::int8_t, 64> e{};
    for (std::size_t i = 0; i < 32; ++i) {
      e[2 * i] = static_cast<std::int8_t>(scalar[i] & 15);
      e[2 * i + 1] = static_cast<std::int8_t>((scalar[i] >> 4) & 15);
    }
    std::int8_t carry = 0;
    for (std::size_t i = 0; i < 63; ++i) {
      e[i] = static_cast<std::int8_t>(e[i] + carry);
      carry = static_cast<std::int8_t>((e[i] + 8) >> 4);
      e[i] = static_cast<std::int8_t>(e[i] - carry * 16);
    }
    e[63] = static_cast<std::int8_t>(e[63] + carry);

    // Odd digits (16 * 256^k terms) first, times 16, then the even digits.
    Point h = Traits::identity();
    for (std::size_t i = 1; i < 64; i += 2) h = Traits::add(h, select(table_[i / 2], e[i]), e[i] == 0);
    for (int d = 0; d < 4; ++d) h = Traits::dbl(h);
    for (std::size_t i = 0; i < 64; i += 2) h = Traits::add(h, select(table_[i / 2], e[i]), e[i] == 0);
    vigil::secure_wipe(e.data(), e.size());  // the digits are the secret scalar
    return h;
  }

 private:
  static Entry select(const std::array<Entry, 8>& row, std::int8_t digit) {
    const std::uint64_t negative = static_cast<std::uint64_t>(static_cast<std::uint8_t>(digit) >> 7);
    const std::uint64_t magnitude = static_cast<std::uint64_t>(digit) * (1 - 2 * negative) & 0xff;
    Entry out = Traits::zero_entry();
    for (std::uint64_t j = 0; j < 8; ++j) {
      const bool hit = ((magnitude ^ (j + 1)) - 1) >> 63;  // magnitude == j + 1, without a branch
      out = Traits::select(hit, row[j], out);
    }
    return Traits::select(negative != 0, Traits::neg(out), out);
  }

  std::array<std::array<Entry, 8>, 32> table_;
};

}  // namespace vigil::internal
