// secp256k1 elements on libsecp256k1 (constant-time scalar multiplication,
// chosen over OpenSSL by measurement: see BM_BackendCompare in bench/), with
// the variable-time Jacobian arithmetic of secp256k1_point.h for public data.
//
// libsecp256k1 multiplies a variable point in constant time only inside
// secp256k1_ecdh (secp256k1_ecmult_const); secp256k1_ec_pubkey_tweak_mul
// runs its variable-time secp256k1_ecmult, made for public tweaks. So
// Element::mult, which multiplies by secrets (key shares, nonces, encryption
// randomness), goes through secp256k1_ecdh with a "hash" that hands back the
// product's coordinates.
#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <sodium.h>

#include <cstdlib>
#include <cstring>

#include "internal/declassify.h"
#include "internal/point_ops.h"
#include "internal/secp256k1_context.h"
#include "vigil/group.h"

namespace vigil {

using K = Secp256k1;

namespace internal {

const secp256k1_context* secp256k1_ctx() {
  static secp256k1_context* ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    // Blinding for the constant-time multiplications against side channels.
    std::array<unsigned char, 32> seed{};
    randombytes_buf(seed.data(), seed.size());
    if (secp256k1_context_randomize(c, seed.data()) != 1) std::abort();
    sodium_memzero(seed.data(), seed.size());
    return c;
  }();
  return ctx;
}

}  // namespace internal

namespace {

secp256k1_pubkey load(const K::ElementRepr& r) {
  secp256k1_pubkey pk;
  static_assert(sizeof(pk.data) == sizeof(r.parsed));
  std::memcpy(pk.data, r.parsed.data(), sizeof(pk.data));
  return pk;
}

// secp256k1_ecdh's last step, made to return the product itself: 0x04 || x || y.
int uncompressed_product(unsigned char* out, const unsigned char* x32, const unsigned char* y32, void* /*data*/) {
  out[0] = 0x04;
  std::memcpy(out + 1, x32, 32);
  std::memcpy(out + 33, y32, 32);
  return 1;
}

Element<K> from_pubkey(const secp256k1_pubkey& pk) {
  K::ElementRepr r;
  std::memcpy(r.parsed.data(), pk.data, sizeof(pk.data));
  std::size_t len = r.encoding.size();
  (void)secp256k1_ec_pubkey_serialize(internal::secp256k1_ctx(), r.encoding.data(), &len, &pk, SECP256K1_EC_COMPRESSED);
  r.identity = false;
  return Element<K>::from_repr(r);
}

}  // namespace

template <>
Result<Element<K>> Element<K>::decode(ByteSpan bytes) {
  if (bytes.size() != K::kElementBytes) {
    return make_error(ErrorCode::kBadEncoding,
                      "secp256k1 element must be 33 bytes (compressed SEC1), got " + std::to_string(bytes.size()));
  }
  if (bytes[0] != 0x02 && bytes[0] != 0x03) {
    return make_error(ErrorCode::kBadEncoding, "secp256k1 element must start with 0x02 or 0x03");
  }
  secp256k1_pubkey pk;
  // Rejects x >= p and x with no point on the curve.
  if (secp256k1_ec_pubkey_parse(internal::secp256k1_ctx(), &pk, bytes.data(), bytes.size()) != 1) {
    return make_error(ErrorCode::kBadEncoding, "not a point on secp256k1");
  }
  return from_pubkey(pk);
}

template <>
Element<K> Element<K>::base_mult(const Scalar<K>& k) {
  // k = 0 gives the identity, which the product shows anyway.
  if (internal::declassify(k.is_zero())) return identity();
  auto n = k.encode();
  secp256k1_pubkey pk;
  int ok = secp256k1_ec_pubkey_create(internal::secp256k1_ctx(), &pk, n.data());
  sodium_memzero(n.data(), n.size());
  // An Element is public (vigil/group.h): the product is published from
  // here on, and its encoding may take time that depends on it.
  VIGIL_DECLASSIFY(&pk, sizeof pk);
  return internal::declassify(ok) == 1 ? from_pubkey(pk) : identity();
}

template <>
Element<K> Element<K>::mult(const Scalar<K>& k) const {
  if (repr_.identity || internal::declassify(k.is_zero())) return identity();
  auto n = k.encode();
  const secp256k1_pubkey pk = load(repr_);
  std::array<unsigned char, 65> product{};
  int ok = secp256k1_ecdh(internal::secp256k1_ctx(), product.data(), &pk, n.data(), uncompressed_product, nullptr);
  sodium_memzero(n.data(), n.size());
  // Public from here on, as in base_mult.
  VIGIL_DECLASSIFY(product.data(), product.size());
  ok = internal::declassify(ok);
  // k * P for a non-zero k below the group order is never the point at
  // infinity. Parsing checks the product lies on the curve, in time that
  // depends on the product (the point), not on k.
  secp256k1_pubkey out;
  ok = ok == 1 && secp256k1_ec_pubkey_parse(internal::secp256k1_ctx(), &out, product.data(), product.size()) == 1;
  sodium_memzero(product.data(), product.size());
  return ok ? from_pubkey(out) : identity();
}

template <>
Element<K> Element<K>::generator() {
  static const Element<K> g = [] {
    Scalar<K> one = Scalar<K>::one();
    return base_mult(one);
  }();
  return g;
}

template <>
bool Element<K>::is_identity() const {
  return repr_.identity;
}

template <>
Element<K>::Encoding Element<K>::encode_impl() const {
  return repr_.encoding;  // all zero for the identity, which has no 33-byte encoding
}

template <>
Element<K> Element<K>::operator+(const Element& b) const {
  if (repr_.identity) return b;
  if (b.repr_.identity) return *this;
  secp256k1_pubkey in[2] = {load(repr_), load(b.repr_)};
  const secp256k1_pubkey* ins[2] = {&in[0], &in[1]};
  secp256k1_pubkey out;
  // Fails only when the sum is the point at infinity.
  if (secp256k1_ec_pubkey_combine(internal::secp256k1_ctx(), &out, ins, 2) != 1) return identity();
  return from_pubkey(out);
}

template <>
Element<K> Element<K>::operator-() const {
  if (repr_.identity) return *this;
  secp256k1_pubkey pk = load(repr_);
  // Cannot fail on a valid public key.
  if (secp256k1_ec_pubkey_negate(internal::secp256k1_ctx(), &pk) != 1) return identity();
  return from_pubkey(pk);
}

template <>
Element<K> Element<K>::operator-(const Element& b) const {
  return *this + (-b);
}

template <>
bool Element<K>::operator==(const Element& b) const {
  return repr_.identity == b.repr_.identity && repr_.encoding == b.repr_.encoding;
}

namespace internal {

PointOps<K>::Point PointOps<K>::from_element(const Element<K>& e) {
  if (e.is_identity()) return identity();
  secp256k1_pubkey pk = load(e.repr());
  std::array<unsigned char, 65> xy{};
  std::size_t len = xy.size();
  (void)secp256k1_ec_pubkey_serialize(secp256k1_ctx(), xy.data(), &len, &pk, SECP256K1_EC_UNCOMPRESSED);
  return from_affine(FeSecp::from_canonical(limbs_from_be(std::span<const std::uint8_t, 32>(xy.data() + 1, 32))),
                     FeSecp::from_canonical(limbs_from_be(std::span<const std::uint8_t, 32>(xy.data() + 33, 32))));
}

Element<K> PointOps<K>::to_element(const Point& p) {
  AffinePoint a;
  if (!to_affine(p, a.x, a.y)) return Element<K>::identity();
  return to_element(a);
}

Element<K> PointOps<K>::to_element(const AffinePoint& a) {
  std::array<unsigned char, 65> xy{};
  xy[0] = 0x04;
  limbs_to_be(std::span<std::uint8_t, 32>(xy.data() + 1, 32), a.x.canonical());
  limbs_to_be(std::span<std::uint8_t, 32>(xy.data() + 33, 32), a.y.canonical());
  secp256k1_pubkey pk;
  // The point came from valid points by the group law, so it is on the curve.
  if (secp256k1_ec_pubkey_parse(secp256k1_ctx(), &pk, xy.data(), xy.size()) != 1) return Element<K>::identity();
  return from_pubkey(pk);
}

}  // namespace internal
}  // namespace vigil
