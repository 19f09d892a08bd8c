// Constant-time multiplication of a fixed point by secret scalars, from a
// table of precomputed multiples: the ref10 method (signed radix-16 digits,
// 64 table additions and 4 doublings, or wider digits), written once over a
// curve's Traits.
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

// kWindow is the digit width w: signed digits in [-2^(w-1), 2^(w-1)], 255/w + 1
// of them, rows of 2^(w-1) entries for every other digit. ref10 uses w = 4
// (32 rows of 8); a wider window trades larger lookups for fewer additions.
template <class Traits, int kWindow = 4>
class FixedBase {
 public:
  using Point = typename Traits::Point;
  using Entry = typename Traits::Entry;
  using PublicPoint = typename Traits::PublicOps::Point;

  static constexpr std::size_t kDigits = 255 / kWindow + 1;
  static constexpr std::size_t kRows = (kDigits + 1) / 2;
  static constexpr std::size_t kRowSize = std::size_t{1} << (kWindow - 1);

  // The base must not be the identity.
  explicit FixedBase(const PublicPoint& base) : table_{} {
    using Ops = typename Traits::PublicOps;
    // table_[i][j] = (j + 1) * 2^(2wi) * base: all multiples, then one
    // conversion to the entry form.
    std::vector<PublicPoint> multiples;
    multiples.reserve(kRows * kRowSize);
    PublicPoint row_base = base;
    for (std::size_t i = 0; i < kRows; ++i) {
      PublicPoint p = row_base;
      for (std::size_t j = 0; j < kRowSize; ++j) {
        multiples.push_back(p);
        p = Ops::add(p, row_base);
      }
      // 2^(2w) * row_base = 2^(w+1) * (2^(w-1) * row_base).
      row_base = multiples.back();
      for (int d = 0; d <= kWindow; ++d) row_base = Ops::dbl(row_base);
    }
    std::vector<Entry> entries(multiples.size());
    Traits::to_entries(multiples, entries);
    for (std::size_t k = 0; k < entries.size(); ++k) table_[k / kRowSize][k % kRowSize] = entries[k];
  }

  // k * base for a little-endian scalar below 2^255.
  Point mult(const std::array<std::uint8_t, 32>& scalar) const {
    // Signed digits e[i] in [-2^(w-1), 2^(w-1)], sum e[i] 2^(wi) = scalar.
    std::array<std::int8_t, kDigits> e{};
    for (std::size_t i = 0; i < kDigits; ++i) e[i] = static_cast<std::int8_t>(bits_at(scalar, kWindow * i));
    std::int8_t carry = 0;
    for (std::size_t i = 0; i + 1 < kDigits; ++i) {
      e[i] = static_cast<std::int8_t>(e[i] + carry);
      carry = static_cast<std::int8_t>((e[i] + (1 << (kWindow - 1))) >> kWindow);
      e[i] = static_cast<std::int8_t>(e[i] - carry * (1 << kWindow));
    }
    e[kDigits - 1] = static_cast<std::int8_t>(e[kDigits - 1] + carry);

    // Odd digits (2^w * 2^(2wk) terms) first, times 2^w, then the even digits.
    Point h = Traits::identity();
    for (std::size_t i = 1; i < kDigits; i += 2) h = Traits::add(h, select(table_[i / 2], e[i]), e[i] == 0);
    for (int d = 0; d < kWindow; ++d) h = Traits::dbl(h);
    for (std::size_t i = 0; i < kDigits; i += 2) h = Traits::add(h, select(table_[i / 2], e[i]), e[i] == 0);
    vigil::secure_wipe(e.data(), e.size());  // the digits are the secret scalar
    return h;
  }

 private:
  // The w bits of the scalar from bit `at` on (zeros past bit 255); the
  // position is public, only the value is secret.
  static unsigned bits_at(const std::array<std::uint8_t, 32>& scalar, std::size_t at) {
    unsigned window = 0;
    for (std::size_t b = 0; b < kWindow; ++b) {
      const std::size_t bit = at + b;
      if (bit < 256) window |= ((scalar[bit / 8] >> (bit % 8)) & 1u) << b;
    }
    return window;
  }

  static Entry select(const std::array<Entry, kRowSize>& row, std::int8_t digit) {
    const std::uint64_t negative = static_cast<std::uint64_t>(static_cast<std::uint8_t>(digit) >> 7);
    const std::uint64_t magnitude = static_cast<std::uint64_t>(digit) * (1 - 2 * negative) & 0xff;
    Entry out = Traits::zero_entry();
    for (std::uint64_t j = 0; j < kRowSize; ++j) {
      const bool hit = ((magnitude ^ (j + 1)) - 1) >> 63;  // magnitude == j + 1, without a branch
      out = Traits::select(hit, row[j], out);
    }
    return Traits::select(negative != 0, Traits::neg(out), out);
  }

  std::array<std::array<Entry, kRowSize>, kRows> table_;
};

}  // namespace vigil::internal
