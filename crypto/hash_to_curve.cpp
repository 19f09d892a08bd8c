#include "vigil/hash_to_curve.h"

#include <sodium.h>

#include "internal/point_ops.h"
#include "internal/sswu_secp256k1.h"
#include "vigil/hash.h"

namespace vigil {
namespace {

// Every tag is non-empty and lengths are fixed, so expansion cannot fail.
Bytes expand(HashFunction f, ByteSpan msg, DomainTag dst, std::size_t length) {
  auto r = expand_message_xmd(f, msg, dst.bytes(), length);
  return std::move(r).value();
}

}  // namespace

Result<DomainTag> DomainTag::make(std::string_view tag) {
  if (tag.empty() || tag.size() > 255) {
    return make_error(ErrorCode::kInvalidInput, "domain tag must have 1 to 255 bytes");
  }
  return DomainTag(Unchecked{}, tag);
}

template <>
Scalar<Ristretto255> hash_to_scalar<Ristretto255>(ByteSpan msg, DomainTag dst) {
  return Scalar<Ristretto255>::reduce_wide(expand(HashFunction::kSha512, msg, dst, 64));
}

template <>
Scalar<Secp256k1> hash_to_scalar<Secp256k1>(ByteSpan msg, DomainTag dst) {
  return Scalar<Secp256k1>::reduce_wide(expand(HashFunction::kSha256, msg, dst, 48));
}

Result<Element<Ristretto255>> ristretto255_from_uniform_bytes(ByteSpan bytes64) {
  if (bytes64.size() != crypto_core_ristretto255_HASHBYTES) {
    return make_error(ErrorCode::kInvalidInput, "the ristretto255 one-way map takes 64 bytes");
  }
  Ristretto255::ElementRepr repr;
  crypto_core_ristretto255_from_hash(repr.encoding.data(), bytes64.data());
  return Element<Ristretto255>::from_repr(repr);
}

template <>
Element<Ristretto255> hash_to_element<Ristretto255>(ByteSpan msg, DomainTag dst) {
  return ristretto255_from_uniform_bytes(expand(HashFunction::kSha512, msg, dst, 64)).value();
}

template <>
Element<Secp256k1> hash_to_element<Secp256k1>(ByteSpan msg, DomainTag dst) {
  // hash_to_field with count 2 and L = 48, then map each and add (h = 1).
  Bytes uniform = expand(HashFunction::kSha256, msg, dst, 96);
  internal::FeSecp u[2];
  for (std::size_t i = 0; i < 2; ++i) {
    std::array<std::uint8_t, 64> wide{};
    std::copy(uniform.begin() + static_cast<std::ptrdiff_t>(48 * i),
              uniform.begin() + static_cast<std::ptrdiff_t>(48 * (i + 1)), wide.begin() + 16);
    auto hi = internal::limbs_from_be(std::span<const std::uint8_t, 32>(wide.data(), 32));
    auto lo = internal::limbs_from_be(std::span<const std::uint8_t, 32>(wide.data() + 32, 32));
    u[i] = internal::FeSecp::from_canonical(
        internal::from_mont(internal::mont_from_wide(lo, hi, internal::kSecp256k1Prime), internal::kSecp256k1Prime));
  }
  using Ops = internal::PointOps<Secp256k1>;
  return Ops::to_element(Ops::add(internal::map_to_curve_secp256k1(u[0]), internal::map_to_curve_secp256k1(u[1])));
}

}  // namespace vigil
