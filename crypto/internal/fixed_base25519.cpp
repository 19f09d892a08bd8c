#include "fixed_base25519.h"

#include <sodium.h>

#include <vector>

namespace vigil::internal {

FixedBase25519::FixedBase25519(const EdwardsPoint& base) : table_{} {
  // All 256 multiples in extended coordinates, then one batch inversion to
  // make them affine.
  std::vector<EdwardsPoint> multiples;
  multiples.reserve(256);
  EdwardsPoint row_base = base;
  for (std::size_t i = 0; i < 32; ++i) {
    EdwardsPoint p = row_base;
    for (std::size_t j = 0; j < 8; ++j) {
      multiples.push_back(p);
      p = RistrettoPointOps::add(p, row_base);
    }
    // 256 * row_base = 32 * (8 * row_base).
    row_base = multiples.back();
    for (int d = 0; d < 5; ++d) row_base = RistrettoPointOps::dbl(row_base);
  }
  std::vector<Fe25519> prefix(multiples.size());
  Fe25519 acc = Fe25519::one();
  for (std::size_t k = 0; k < multiples.size(); ++k) {
    prefix[k] = acc;
    acc = acc * multiples[k].z;
  }
  Fe25519 inv = acc.invert();
  const Fe25519& d2 = edwards25519_constants().d2;
  for (std::size_t k = multiples.size(); k-- > 0;) {
    const Fe25519 z_inv = inv * prefix[k];
    inv = inv * multiples[k].z;
    const Fe25519 x = multiples[k].x * z_inv, y = multiples[k].y * z_inv;
    table_[k / 8][k % 8] = {y + x, y - x, x * y * d2};
  }
}

FixedBase25519::Niels FixedBase25519::select(const std::array<Niels, 8>& row, std::int8_t digit) {
  const u64 negative = static_cast<u64>(static_cast<std::uint8_t>(digit) >> 7);
  const u64 magnitude = static_cast<u64>(digit) * (1 - 2 * negative) & 0xff;
  Niels out{Fe25519::one(), Fe25519::one(), Fe25519::zero()};
  for (u64 j = 0; j < 8; ++j) {
    const bool hit = ((magnitude ^ (j + 1)) - 1) >> 63;  // magnitude == j + 1, without a branch
    out.y_plus_x = Fe25519::select(hit, row[j].y_plus_x, out.y_plus_x);
    out.y_minus_x = Fe25519::select(hit, row[j].y_minus_x, out.y_minus_x);
    out.xy2d = Fe25519::select(hit, row[j].xy2d, out.xy2d);
  }
  // -P swaps y + x with y - x and negates 2dxy.
  const bool neg = negative != 0;
  Niels result{Fe25519::select(neg, out.y_minus_x, out.y_plus_x), Fe25519::select(neg, out.y_plus_x, out.y_minus_x),
               Fe25519::select(neg, -out.xy2d, out.xy2d)};
  return result;
}

EdwardsPoint FixedBase25519::add(const EdwardsPoint& p, const Niels& q) {
  const Fe25519 a = (p.y - p.x) * q.y_minus_x;
  const Fe25519 b = (p.y + p.x) * q.y_plus_x;
  const Fe25519 c = p.t * q.xy2d;
  const Fe25519 d = p.z + p.z;
  const Fe25519 e = b - a, f = d - c, g = d + c, h = b + a;
  return {e * f, g * h, f * g, e * h};
}

EdwardsPoint FixedBase25519::mult(const std::array<std::uint8_t, 32>& scalar) const {
  // Signed radix-16 digits e[i] in [-8, 8), sum e[i] 16^i = scalar.
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
  EdwardsPoint h = RistrettoPointOps::identity();
  for (std::size_t i = 1; i < 64; i += 2) h = add(h, select(table_[i / 2], e[i]));
  for (int d = 0; d < 4; ++d) h = RistrettoPointOps::dbl(h);
  for (std::size_t i = 0; i < 64; i += 2) h = add(h, select(table_[i / 2], e[i]));
  sodium_memzero(e.data(), e.size());  // the digits are the secret scalar
  return h;
}

}  // namespace vigil::internal
