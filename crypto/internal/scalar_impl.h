// The definitions of Scalar<C> (vigil/group.h) for any curve: scalar.cpp
// instantiates them for vigil's curves, the exhaustive tests for a tiny group.
#pragma once

#include <algorithm>

#include "declassify.h"
#include "moduli.h"
#include "vigil/group.h"

namespace vigil {
namespace {

using internal::Limbs;

template <Curve C>
Limbs canonical_from_bytes(std::span<const std::uint8_t, 32> bytes) {
  return C::kScalarBigEndian ? internal::limbs_from_be(bytes) : internal::limbs_from_le(bytes);
}

}  // namespace

template <Curve C>
Scalar<C>::~Scalar() {
  secure_wipe(limbs_.data(), sizeof(limbs_));
}

template <Curve C>
Scalar<C>::Scalar(Scalar&& other) noexcept : limbs_(other.limbs_) {
  secure_wipe(other.limbs_.data(), sizeof(other.limbs_));
}

template <Curve C>
Scalar<C>& Scalar<C>::operator=(Scalar&& other) noexcept {
  if (this != &other) {
    limbs_ = other.limbs_;
    secure_wipe(other.limbs_.data(), sizeof(other.limbs_));
  }
  return *this;
}

template <Curve C>
Scalar<C> Scalar<C>::clone() const {
  return from_limbs(limbs_);
}

template <Curve C>
Scalar<C> Scalar<C>::from_limbs(const std::array<std::uint64_t, 4>& limbs) {
  Scalar s;
  s.limbs_ = limbs;
  return s;
}

template <Curve C>
Scalar<C> Scalar<C>::one() {
  return from_limbs(internal::group_order<C>().r);
}

template <Curve C>
Scalar<C> Scalar<C>::from_u64(std::uint64_t value) {
  const auto& q = internal::group_order<C>();
  return from_limbs(internal::to_mont(Limbs{value, 0, 0, 0}, q));
}

template <Curve C>
Result<Scalar<C>> Scalar<C>::decode(ByteSpan bytes) {
  if (bytes.size() != kBytes) {
    return make_error(ErrorCode::kBadEncoding,
                      "scalar must be " + std::to_string(kBytes) + " bytes, got " + std::to_string(bytes.size()));
  }
  const auto& q = internal::group_order<C>();
  Limbs x = canonical_from_bytes<C>(bytes.template first<32>());
  // The comparison runs in constant time; whether the encoding is valid is
  // the caller's to know (and to say).
  if (!internal::declassify(internal::limbs_less_than(x, q.m))) {
    secure_wipe(x.data(), sizeof(x));
    return make_error(ErrorCode::kBadEncoding, "scalar is not reduced modulo the group order");
  }
  Scalar s = from_limbs(internal::to_mont(x, q));
  secure_wipe(x.data(), sizeof(x));
  return s;
}

template <Curve C>
Scalar<C> Scalar<C>::reduce_wide(ByteSpan bytes) {
  // Place the bytes, in the curve's order, at the low end of a 64-byte integer.
  std::array<std::uint8_t, 64> wide{};
  std::size_t n = std::min<std::size_t>(bytes.size(), 64);
  if (C::kScalarBigEndian) {
    std::copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n),
              wide.end() - static_cast<std::ptrdiff_t>(n));
  } else {
    std::copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n), wide.begin());
  }
  Limbs lo, hi;
  if (C::kScalarBigEndian) {
    hi = internal::limbs_from_be(std::span<const std::uint8_t, 32>(wide.data(), 32));
    lo = internal::limbs_from_be(std::span<const std::uint8_t, 32>(wide.data() + 32, 32));
  } else {
    lo = internal::limbs_from_le(std::span<const std::uint8_t, 32>(wide.data(), 32));
    hi = internal::limbs_from_le(std::span<const std::uint8_t, 32>(wide.data() + 32, 32));
  }
  Scalar s = from_limbs(internal::mont_from_wide(lo, hi, internal::group_order<C>()));
  secure_wipe(wide.data(), wide.size());
  secure_wipe(lo.data(), sizeof(lo));
  secure_wipe(hi.data(), sizeof(hi));
  return s;
}

template <Curve C>
Scalar<C> Scalar<C>::random(Rng& rng) {
  std::array<std::uint8_t, 64> buf{};
  for (;;) {
    rng.fill(buf);
    Scalar s = reduce_wide(buf);
    // Zero comes once in 2^252 draws and is drawn again: that it did is no secret.
    if (!internal::declassify(s.is_zero())) {
      secure_wipe(buf.data(), buf.size());
      return s;
    }
  }
}

template <Curve C>
typename Scalar<C>::Encoding Scalar<C>::encode() const {
  Limbs x = internal::from_mont(limbs_, internal::group_order<C>());
  Encoding out{};
  if (C::kScalarBigEndian) {
    internal::limbs_to_be(out, x);
  } else {
    internal::limbs_to_le(out, x);
  }
  secure_wipe(x.data(), sizeof(x));
  return out;
}

template <Curve C>
bool Scalar<C>::is_zero() const {
  return internal::limbs_is_zero(limbs_);
}

template <Curve C>
Scalar<C> Scalar<C>::operator+(const Scalar& b) const {
  return from_limbs(internal::mod_add(limbs_, b.limbs_, internal::group_order<C>()));
}

template <Curve C>
Scalar<C> Scalar<C>::operator-(const Scalar& b) const {
  return from_limbs(internal::mod_sub(limbs_, b.limbs_, internal::group_order<C>()));
}

template <Curve C>
Scalar<C> Scalar<C>::operator*(const Scalar& b) const {
  return from_limbs(internal::mont_mul(limbs_, b.limbs_, internal::group_order<C>()));
}

template <Curve C>
Scalar<C> Scalar<C>::operator-() const {
  return from_limbs(internal::mod_neg(limbs_, internal::group_order<C>()));
}

template <Curve C>
Scalar<C>& Scalar<C>::operator+=(const Scalar& b) {
  limbs_ = internal::mod_add(limbs_, b.limbs_, internal::group_order<C>());
  return *this;
}

template <Curve C>
Scalar<C>& Scalar<C>::operator*=(const Scalar& b) {
  limbs_ = internal::mont_mul(limbs_, b.limbs_, internal::group_order<C>());
  return *this;
}

template <Curve C>
bool Scalar<C>::operator==(const Scalar& b) const {
  return internal::limbs_equal(limbs_, b.limbs_);
}

template <Curve C>
Result<Scalar<C>> Scalar<C>::invert_vartime() const {
  if (is_zero()) return make_error(ErrorCode::kInvalidInput, "zero has no inverse");
  return from_limbs(internal::mont_invert_vartime(limbs_, internal::group_order<C>()));
}

}  // namespace vigil
