// The definitions of vigil/dealer.h's templates for any curve: dealer.cpp instantiates them
// for vigil's curves, the exhaustive tests (tests/crypto/tiny_group.h) for a
// group of order 13.
#pragma once

#include "vigil/byte_writer.h"
#include "vigil/dealer.h"

namespace vigil {

template <Curve C>
Result<Deal<C>> deal_polynomial(const Polynomial<C>& polynomial, std::size_t parties) {
  VIGIL_RETURN_IF_ERROR(check_threshold(parties, polynomial.threshold()));
  Deal<C> d{FeldmanCommitment<C>::commit(polynomial), {}};
  d.shares.reserve(parties);
  for (std::size_t i = 1; i <= parties; ++i) {
    auto index = static_cast<ParticipantIndex>(i);
    Scalar<C> share = polynomial.evaluate(index);
    Element<C> public_share = Element<C>::base_mult(share);
    d.shares.push_back({index, std::move(share), public_share});
  }
  return d;
}

template <Curve C>
Result<Deal<C>> deal(Rng& rng, std::size_t parties, std::size_t threshold) {
  VIGIL_RETURN_IF_ERROR(check_threshold(parties, threshold));
  VIGIL_ASSIGN_OR_RETURN(auto polynomial, Polynomial<C>::random(rng, threshold));
  return deal_polynomial(polynomial, parties);
}

template <Curve C>
Status verify_deal(const Deal<C>& d) {
  VIGIL_RETURN_IF_ERROR(check_threshold(d.parties(), d.threshold()));
  for (std::size_t i = 0; i < d.shares.size(); ++i) {
    const auto& s = d.shares[i];
    if (s.index != i + 1) {
      return make_error(ErrorCode::kInvalidInput,
                        "share at position " + std::to_string(i + 1) + " has index " + std::to_string(s.index),
                        s.index);
    }
    VIGIL_RETURN_IF_ERROR(d.commitment.verify_share(s.index, s.secret_share));
    VIGIL_RETURN_IF_ERROR(d.commitment.verify_public_share(s.index, s.public_share));
  }
  return {};
}

namespace {

template <Curve C>
Bytes share_context(const Element<C>& group_public_key, ParticipantIndex index) {
  ByteWriter w;
  w.field("vigil/v1/dealt-share");
  w.field(C::kName);
  w.u32(index);
  w.field(group_public_key.encode());
  return w.take();
}

}  // namespace

template <Curve C>
Result<Bytes> seal_share(Rng& rng, const X25519PublicKey& recipient, const Element<C>& group_public_key,
                         const SecretShare<C>& share) {
  auto encoding = share.value.encode();
  auto sealed = seal(rng, recipient, encoding, share_context(group_public_key, share.index));
  secure_wipe(encoding.data(), encoding.size());
  return sealed;
}

template <Curve C>
Result<SecretShare<C>> open_share(ByteSpan recipient_secret_key, ByteSpan sealed,
                                  const FeldmanCommitment<C>& commitment, ParticipantIndex index) {
  VIGIL_ASSIGN_OR_RETURN(SecretBytes plain, open_sealed(recipient_secret_key, sealed,
                                                        share_context(commitment.group_public_key(), index)));
  auto value = Scalar<C>::decode(plain.span());
  if (!value) return make_error(ErrorCode::kVerificationFailed, "sealed share holds no valid scalar", index);
  VIGIL_RETURN_IF_ERROR(commitment.verify_share(index, *value));
  return SecretShare<C>{index, std::move(value).value()};
}

// Explicit instantiations of the above for curve C (inside namespace vigil).
#define VIGIL_INSTANTIATE_DEALER(C)                                                                             \
  template Result<Deal<C>> deal_polynomial<C>(const Polynomial<C>&, std::size_t);                               \
  template Result<Deal<C>> deal<C>(Rng&, std::size_t, std::size_t);                                             \
  template Status verify_deal<C>(const Deal<C>&);                                                               \
  template Result<Bytes> seal_share<C>(Rng&, const X25519PublicKey&, const Element<C>&, const SecretShare<C>&); \
  template Result<SecretShare<C>> open_share<C>(ByteSpan, ByteSpan, const FeldmanCommitment<C>&, ParticipantIndex);

}  // namespace vigil
