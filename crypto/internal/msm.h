// Variable-time multi-scalar multiplication and polynomial evaluation in the
// exponent, written once over PointOps<C>: public data only, except for
// weighted_sum_of_secret_elements, whose header says why it may take secret
// elements.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "point_ops.h"

namespace vigil::internal {

// Width-5 non-adjacent form of a canonical 256-bit integer: digits in
// {0, +-1, +-3, ..., +-15}, at most one non-zero in any 5 consecutive.
// Returns the number of digits used (at most 257).
inline std::size_t wnaf5(std::array<std::int8_t, 257>& digits, const Limbs& value) {
  constexpr int kWidth = 5;
  std::array<u64, 5> k{value[0], value[1], value[2], value[3], 0};
  digits.fill(0);
  std::size_t len = 0;
  auto is_zero = [&] { return (k[0] | k[1] | k[2] | k[3] | k[4]) == 0; };
  for (std::size_t i = 0; !is_zero(); ++i) {
    if (k[0] & 1) {
      int d = static_cast<int>(k[0] & ((1u << kWidth) - 1));
      if (d >= (1 << (kWidth - 1))) d -= (1 << kWidth);
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
template <Curve C>
typename PointOps<C>::Point straus_vartime(std::span<const Limbs> scalars,
                                           std::span<const typename PointOps<C>::Point> points) {
  using Ops = PointOps<C>;
  using Point = typename Ops::Point;
  const std::size_t n = points.size();
  std::vector<std::array<Point, 8>> odd_multiples(n);  // P, 3P, ..., 15P
  std::vector<std::array<std::int8_t, 257>> digits(n);
  std::size_t max_len = 0;
  for (std::size_t i = 0; i < n; ++i) {
    Point twice = Ops::dbl(points[i]);
    odd_multiples[i][0] = points[i];
    for (std::size_t k = 1; k < 8; ++k) odd_multiples[i][k] = Ops::add(odd_multiples[i][k - 1], twice);
    max_len = std::max(max_len, wnaf5(digits[i], scalars[i]));
  }
  Point acc = Ops::identity();
  bool started = false;
  for (std::size_t bit = max_len; bit-- > 0;) {
    if (started) acc = Ops::dbl(acc);
    for (std::size_t i = 0; i < n; ++i) {
      int d = digits[i][bit];  // NOLINT(bugprone-signed-char-misuse): signed digits by design
      if (d == 0) continue;
      const Point& m = odd_multiples[i][static_cast<std::size_t>((d > 0 ? d : -d) / 2)];
      acc = started ? Ops::add(acc, d > 0 ? m : Ops::neg(m)) : (d > 0 ? m : Ops::neg(m));
      started = true;
    }
  }
  return acc;
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
// - secp256k1: the Jacobian formulas above branch on the points (doubling,
//   infinity) and the affine conversion inverts in variable time, so each
//   term is a constant-time multiplication and the sum constant-time
//   additions (libsecp256k1).
// Fails with kInvalidInput if the spans differ in length.
template <Curve C>
Result<Element<C>> weighted_sum_of_secret_elements(std::span<const Scalar<C>> public_weights,
                                                   std::span<const Element<C>> secret_elements);

}  // namespace vigil::internal
