// Variable-time multi-scalar multiplication and polynomial evaluation in the
// exponent, written once over PointOps<C>: public data only, except for
// weighted_sum_of_secret_elements, whose header says why it may take secret
// elements.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "point_ops.h"

namespace vigil::internal {

// Width-w non-adjacent form of a 256-bit integer: digits 0 or odd in
// (-2^(w-1), 2^(w-1)), at most one non-zero in any w consecutive. Returns the
// number of digits used (at most 257).
inline std::size_t wnaf_vartime(std::array<std::int8_t, 257>& digits, const Limbs& value, int width) {
  std::array<u64, 5> k{value[0], value[1], value[2], value[3], 0};
  digits.fill(0);
  std::size_t len = 0;
  auto is_zero = [&] { return (k[0] | k[1] | k[2] | k[3] | k[4]) == 0; };
  for (std::size_t i = 0; !is_zero(); ++i) {
    if (k[0] & 1) {
      int d = static_cast<int>(k[0] & ((1u << width) - 1));
      if (d >= (1 << (width - 1))) d -= (1 << width);
      digits[i] = static_cast<std::int8_t>(d);
      // k -= d, propagating the borrow (d > 0) or the carry (d < 0).
      if (d > 0) {
        u64 borrow = static_cast<u64>(d);
        for (auto& limb : k) {
          u64 prev = limb;
          limb -= borrow;
          borrow = limb > prev ? 1 : 0;
          if (!borrow) break;
        }
      } else {
        u64 carry = static_cast<u64>(-d);
        for (auto& limb : k) {
          limb += carry;
          carry = limb < carry ? 1 : 0;
          if (!carry) break;
        }
      }
    }
    for (std::size_t w = 0; w < 4; ++w) k[w] = (k[w] >> 1) | (k[w + 1] << 63);
    k[4] >>= 1;
    len = i + 1;
  }
  return len;
}

// Straus's interleaved method with wNAF digits (Moller, "Algorithms for
// multi-exponentiation", 2001): one shared chain of doublings, an addition
// per non-zero digit. `scalars` are canonical (non-Montgomery) limbs.
// - Each scalar is first written in short signed form by Ops::decompose: +-k
//   with |k| <= q/2 (so -1 costs one addition, not a full scalar), and on a
//   curve with an endomorphism as two halves of 128 bits, k1 + lambda * k2,
//   which halves the chain of doublings.
// - Each point's odd multiples P, 3P, ..., 15P are brought to the cheapest
//   form for additions (affine on secp256k1, with one inversion for all).
// - Ops is PointOps<C>, or another point interface of the same shape (the
//   complete formulas of SecpSecretPointOps, for secret points).
template <class Ops>
typename Ops::Point straus_with(std::span<const Limbs> scalars, std::span<const typename Ops::Point> points) {
  using Point = typename Ops::Point;
  using Entry = typename Ops::Entry;
  constexpr int kWidth = 5;
  constexpr std::size_t kTableSize = std::size_t{1} << (kWidth - 2);  // odd multiples up to 15P

  struct Term {
    std::array<std::int8_t, 257> digits;
    bool negative;
    bool endomorphism;
    std::size_t table;  // index of the point's first entry
  };
  std::vector<Point> multiples;
  std::vector<Term> terms;
  multiples.reserve(points.size() * kTableSize);
  terms.reserve(points.size() * 2);
  std::size_t max_len = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (limbs_is_zero(scalars[i])) continue;
    if constexpr (requires { Ops::is_identity(points[i]); }) {
      if (Ops::is_identity(points[i])) continue;
    }
    std::array<SignedLimbs, 2> parts{};
    const std::size_t count = Ops::decompose(scalars[i], parts);
    const std::size_t table = multiples.size();
    const Point twice = Ops::dbl(points[i]);
    multiples.push_back(points[i]);
    for (std::size_t k = 1; k < kTableSize; ++k) multiples.push_back(Ops::add(multiples.back(), twice));
    for (std::size_t part = 0; part < count; ++part) {
      if (limbs_is_zero(parts[part].abs)) continue;
      Term& term = terms.emplace_back();
      max_len = std::max(max_len, wnaf_vartime(term.digits, parts[part].abs, kWidth));
      term.negative = parts[part].negative;
      term.endomorphism = part == 1;
      term.table = table;
    }
  }
  // Entries in the form additions want; ristretto255's are its points as they are.
  std::vector<Entry> converted;
  std::span<const Entry> entries;
  if constexpr (std::is_same_v<Entry, Point>) {
    entries = multiples;
  } else {
    converted.resize(multiples.size());
    Ops::to_entries(multiples, converted);
    entries = converted;
  }
  std::vector<Entry> endo_entries;
  if constexpr (Ops::kHasEndomorphism) {
    endo_entries.resize(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) endo_entries[i] = Ops::endo_entry(entries[i]);
  }

  Point acc = Ops::identity();
  for (std::size_t bit = max_len; bit-- > 0;) {
    acc = Ops::dbl(acc);
    for (const Term& term : terms) {
      int d = term.digits[bit];  // NOLINT(bugprone-signed-char-misuse): signed digits by design
      if (d == 0) continue;
      const std::size_t at = term.table + static_cast<std::size_t>((d > 0 ? d : -d) / 2);
      const Entry& m = term.endomorphism ? endo_entries[at] : entries[at];
      acc = Ops::add_entry(acc, (d < 0) != term.negative ? Ops::neg_entry(m) : m);
    }
  }
  return acc;
}

template <Curve C>
typename PointOps<C>::Point straus_vartime(std::span<const Limbs> scalars,
                                           std::span<const typename PointOps<C>::Point> points) {
  return straus_with<PointOps<C>>(scalars, points);
}

// k * P for a small public integer k >= 1, by double-and-add.
template <Curve C>
typename PointOps<C>::Point mul_small_vartime(const typename PointOps<C>::Point& p, std::uint64_t k) {
  using Ops = PointOps<C>;
  int top = 63 - __builtin_clzll(k);
  auto acc = p;
  for (int bit = top - 1; bit >= 0; --bit) {
    acc = Ops::dbl(acc);
    if ((k >> bit) & 1) acc = Ops::add(acc, p);
  }
  return acc;
}

// sum_j coefficients[j] * x^j by Horner's rule: the value at x of a
// polynomial whose coefficients are group elements (Feldman commitments).
template <Curve C>
typename PointOps<C>::Point evaluate_in_exponent_vartime(std::span<const typename PointOps<C>::Point> coefficients,
                                                         std::uint64_t x) {
  using Ops = PointOps<C>;
  auto acc = coefficients.back();
  for (std::size_t j = coefficients.size() - 1; j-- > 0;) {
    acc = Ops::add(mul_small_vartime<C>(acc, x), coefficients[j]);
  }
  return acc;
}

// The sum of weights[i] * elements[i] for public weights and secret
// elements (decryption shares, which add up to a ciphertext's mask), in time
// that depends on the weights only.
// - ristretto255: straus_vartime on extended Edwards coordinates. Its
//   branches and table indices follow the weights' digits; the addition and
//   doubling formulas are complete and branch-free, the field arithmetic is
//   constant time, and so are RFC 9496 decoding and encoding.
// - secp256k1: the same Straus schedule over the complete projective
//   formulas of SecpSecretPointOps (the Jacobian ones branch on the points),
//   with a constant-time inversion at the end.
// Fails with kInvalidInput if the spans differ in length.
template <Curve C>
Result<Element<C>> weighted_sum_of_secret_elements(std::span<const Scalar<C>> public_weights,
                                                   std::span<const Element<C>> secret_elements);

}  // namespace vigil::internal
