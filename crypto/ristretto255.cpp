// ristretto255 elements on libsodium (constant-time scalar multiplication)
// with the variable-time conversions of edwards25519.h for public data.
#include <sodium.h>

#include "internal/declassify.h"
#include "internal/point_ops.h"
#include "internal/sodium_init.h"
#include "vigil/group.h"

namespace vigil {

using R = Ristretto255;

namespace {

bool is_all_zero(const std::array<std::uint8_t, 32>& b) { return sodium_is_zero(b.data(), b.size()) == 1; }

Element<R> from_encoding(const std::array<std::uint8_t, 32>& enc) { return Element<R>::from_repr(R::ElementRepr{enc}); }

}  // namespace

template <>
Element<R> Element<R>::generator() {
  // RFC 9496 Appendix A.1: the encoding of B.
  static const Element<R> g =
      from_encoding({0xe2, 0xf2, 0xae, 0x0a, 0x6a, 0xbc, 0x4e, 0x71, 0xa8, 0x84, 0xa9, 0x61, 0xc5, 0x00, 0x51, 0x5f,
                     0x58, 0xe3, 0x0b, 0x6a, 0xa5, 0x82, 0xdd, 0x8d, 0xb6, 0xa6, 0x59, 0x45, 0xe0, 0x8d, 0x2d, 0x76});
  return g;
}

template <>
Result<Element<R>> Element<R>::decode(ByteSpan bytes) {
  internal::ensure_sodium_initialized();
  if (bytes.size() != R::kElementBytes) {
    return make_error(ErrorCode::kBadEncoding,
                      "ristretto255 element must be 32 bytes, got " + std::to_string(bytes.size()));
  }
  R::ElementRepr repr;
  std::copy(bytes.begin(), bytes.end(), repr.encoding.begin());
  if (is_all_zero(repr.encoding)) {
    return make_error(ErrorCode::kBadEncoding, "ristretto255 element is the identity");
  }
  // libsodium 1.0.18 ignores bit 255 of s; RFC 9496 4.3.1 requires s < p,
  // so an encoding with that bit set is non-canonical.
  if ((repr.encoding[31] & 0x80) != 0 || crypto_core_ristretto255_is_valid_point(repr.encoding.data()) != 1) {
    return make_error(ErrorCode::kBadEncoding, "not a canonical ristretto255 encoding");
  }
  return from_repr(repr);
}

template <>
Element<R> Element<R>::base_mult(const Scalar<R>& k) {
  internal::ensure_sodium_initialized();
  auto n = k.encode();
  R::ElementRepr out;
  // Returns -1 exactly when the result is the identity (k = 0), whose
  // encoding is all zero: what an identity Element holds. An Element is
  // public (vigil/group.h): the product is published from here on.
  const int status = crypto_scalarmult_ristretto255_base(out.encoding.data(), n.data());
  sodium_memzero(n.data(), n.size());
  VIGIL_DECLASSIFY(out.encoding.data(), out.encoding.size());
  if (internal::declassify(status) != 0) out.encoding.fill(0);
  return from_repr(out);
}

template <>
Element<R> Element<R>::mult(const Scalar<R>& k) const {
  internal::ensure_sodium_initialized();
  auto n = k.encode();
  R::ElementRepr out;
  const int status = crypto_scalarmult_ristretto255(out.encoding.data(), n.data(), repr_.encoding.data());
  sodium_memzero(n.data(), n.size());
  VIGIL_DECLASSIFY(out.encoding.data(), out.encoding.size());  // public from here on, as above
  if (internal::declassify(status) != 0) out.encoding.fill(0);
  return from_repr(out);
}

template <>
bool Element<R>::is_identity() const {
  return is_all_zero(repr_.encoding);
}

template <>
Element<R>::Encoding Element<R>::encode_impl() const {
  return repr_.encoding;
}

template <>
Element<R> Element<R>::operator+(const Element& b) const {
  R::ElementRepr out;
  // Cannot fail: both operands are valid encodings.
  (void)crypto_core_ristretto255_add(out.encoding.data(), repr_.encoding.data(), b.repr_.encoding.data());
  return from_repr(out);
}

template <>
Element<R> Element<R>::operator-(const Element& b) const {
  R::ElementRepr out;
  (void)crypto_core_ristretto255_sub(out.encoding.data(), repr_.encoding.data(), b.repr_.encoding.data());
  return from_repr(out);
}

template <>
Element<R> Element<R>::operator-() const {
  return identity() - *this;
}

template <>
bool Element<R>::operator==(const Element& b) const {
  return repr_.encoding == b.repr_.encoding;
}

namespace internal {

PointOps<R>::Point PointOps<R>::from_element(const Element<R>& e) {
  Point p = identity();
  // Every Element holds a valid encoding, so decoding cannot fail here.
  (void)decode(p, e.repr().encoding);
  return p;
}

Element<R> PointOps<R>::to_element(const Point& p) { return from_encoding(encode(p)); }

}  // namespace internal
}  // namespace vigil
