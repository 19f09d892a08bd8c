// The definitions of vigil/tdh2.h's templates for any curve: tdh2.cpp
// instantiates them for vigil's curves, the exhaustive tests
// (tests/crypto/tiny_group.h) for a group of order 13.
#pragma once

#include <algorithm>
#include <unordered_set>

#include "vigil/aead.h"
#include "vigil/byte_writer.h"
#include "vigil/hash.h"
#include "vigil/hash_to_curve.h"
#include "vigil/tdh2.h"

namespace vigil {
namespace {

// Shoup-Gennaro's H: the challenge of the ciphertext's validity proof.
template <Curve C>
Scalar<C> validity_challenge(const Tdh2PublicKey<C>& key, ByteSpan label, ByteSpan payload, const Element<C>& u,
                             const Element<C>& w, const Element<C>& u_bar, const Element<C>& w_bar) {
  ByteWriter t;
  t.field(C::kName).field(key.group_key().encode()).field(label).field(sha256(payload));
  for (const Element<C>* e : {&u, &w, &u_bar, &w_bar}) t.field(e->encode());
  return hash_to_scalar<C>(t.bytes(), "vigil/v1/tdh2/validity");
}

// The payload key from the KEM's shared element r H, bound to the key and to
// the ciphertext's u and u_bar.
template <Curve C>
SecretBytes payload_key(const Tdh2PublicKey<C>& key, const Element<C>& shared, const Element<C>& u,
                        const Element<C>& u_bar) {
  ByteWriter salt;
  salt.field(C::kName).field(key.group_key().encode()).field(u.encode()).field(u_bar.encode());
  auto ikm = shared.encode();
  auto k = hkdf_sha256(ikm, salt.bytes(), as_bytes("vigil/v1/tdh2/payload-key"), kAeadKeyBytes);
  secure_wipe(ikm.data(), ikm.size());
  return std::move(k).value();  // 32 bytes from HKDF cannot fail
}

template <Curve C>
Bytes payload_associated_data(ByteSpan label, const Element<C>& u, const Element<C>& u_bar) {
  ByteWriter ad;
  ad.field("vigil/v1/tdh2/payload").field(C::kName).field(label).field(u.encode()).field(u_bar.encode());
  return ad.take();
}

template <Curve C>
Bytes share_context(const CiphertextDigest& digest, ByteSpan label, ParticipantIndex index) {
  ByteWriter ctx;
  ctx.field("vigil/v1/tdh2/decryption-share").field(digest).field(label).u32(index);
  return ctx.take();
}

template <Curve C>
DleqStatement<C> share_statement(const Tdh2Ciphertext<C>& ct, const Element<C>& public_share,
                                 const DecryptionShare<C>& share) {
  return {Element<C>::generator(), public_share, ct.u, share.value};
}

}  // namespace

template <Curve C>
Result<Tdh2PublicKey<C>> Tdh2PublicKey<C>::create(const Element<C>& group_key) {
  if (group_key.is_identity()) return make_error(ErrorCode::kInvalidInput, "the group key is the identity");
  ByteWriter w;
  w.field(C::kName).field(group_key.encode());
  return Tdh2PublicKey(group_key, hash_to_element<C>(w.bytes(), "vigil/v1/tdh2/second-generator"));
}

template <Curve C>
CiphertextDigest tdh2_ciphertext_digest(const Tdh2Ciphertext<C>& ct) {
  ByteWriter w;
  w.field("vigil/v1/tdh2/ciphertext").field(C::kName).field(ct.label).field(ct.u.encode()).field(ct.u_bar.encode());
  w.field(ct.w.encode()).field(ct.w_bar.encode()).field(ct.f.encode()).field(ct.payload);
  return sha256(w.bytes());
}

template <Curve C>
Result<Tdh2Ciphertext<C>> tdh2_encrypt(Rng& rng, const Tdh2PublicKey<C>& key, ByteSpan label, ByteSpan plaintext) {
  const Scalar<C> r = Scalar<C>::random(rng);
  const Scalar<C> s = Scalar<C>::random(rng);
  // r and s are secret: every multiplication here is constant time.
  const auto& g = PrecomputedElement<C>::generator();
  const auto& g_bar = key.precomputed_second_generator();
  std::vector<Element<C>> products =
      PrecomputedElement<C>::mult_each({{g, r}, {g_bar, r}, {key.precomputed_group_key(), r}, {g, s}, {g_bar, s}});
  const Element<C>& u = products[0];
  const Element<C>& u_bar = products[1];
  const Element<C>& w = products[3];
  const Element<C>& w_bar = products[4];
  const SecretBytes k = payload_key(key, products[2], u, u_bar);
  VIGIL_ASSIGN_OR_RETURN(Bytes payload, stream_encrypt(k.span(), payload_associated_data(label, u, u_bar), plaintext));
  const Scalar<C> e = validity_challenge(key, label, payload, u, w, u_bar, w_bar);
  Scalar<C> f = s + r * e;
  return Tdh2Ciphertext<C>{Bytes(label.begin(), label.end()), u, u_bar, w, w_bar, std::move(f), std::move(payload)};
}

template <Curve C>
Status tdh2_verify_ciphertext(const Tdh2PublicKey<C>& key, const Tdh2Ciphertext<C>& ct) {
  for (const Element<C>* e : {&ct.u, &ct.u_bar, &ct.w, &ct.w_bar}) {
    if (e->is_identity()) return make_error(ErrorCode::kVerificationFailed, "ciphertext has an identity element");
  }
  // f G == w + e u and f G_bar == w_bar + e u_bar, combined with a 128-bit
  // rho derived from the whole proof (so it cannot be chosen around):
  //   f G + rho f G_bar - e u - rho e u_bar - w - rho w_bar == 0.
  const Scalar<C> e = validity_challenge(key, ct.label, ct.payload, ct.u, ct.w, ct.u_bar, ct.w_bar);
  ByteWriter t;
  t.field("vigil/v1/tdh2/validity-batch").field(e.encode()).field(ct.f.encode());
  const auto digest = sha256(t.bytes());
  const Scalar<C> rho = Scalar<C>::reduce_wide(ByteSpan(digest).first(16));
  const Scalar<C> scalars[6] = {ct.f.clone(), rho * ct.f, -e, -(rho * e), -Scalar<C>::one(), -rho};
  const Element<C> points[6] = {Element<C>::generator(), key.second_generator(), ct.u, ct.u_bar, ct.w, ct.w_bar};
  VIGIL_ASSIGN_OR_RETURN(Element<C> sum, multi_scalar_mult_vartime<C>(scalars, points));
  if (!sum.is_identity()) {
    return make_error(ErrorCode::kVerificationFailed,
                      "ciphertext is invalid: its proof does not match its label, payload and elements");
  }
  return {};
}

template <Curve C>
Result<VerifiedCiphertext<C>> tdh2_check_ciphertext(const Tdh2PublicKey<C>& key, Tdh2Ciphertext<C> ciphertext) {
  VIGIL_RETURN_IF_ERROR(tdh2_verify_ciphertext(key, ciphertext));
  const CiphertextDigest digest = tdh2_ciphertext_digest(ciphertext);
  return VerifiedCiphertext<C>(std::move(ciphertext), digest);
}

template <Curve C>
Result<DecryptionShare<C>> tdh2_decryption_share(Rng& rng, const VerifiedCiphertext<C>& verified,
                                                 const SecretShare<C>& share, const Element<C>& public_share) {
  if (share.index == 0) return make_error(ErrorCode::kInvalidInput, "a share has an index from 1");
  if (public_share.is_identity()) return make_error(ErrorCode::kInvalidInput, "the public share is the identity");
  const Tdh2Ciphertext<C>& ct = verified.ciphertext();
  DecryptionShare<C> out{share.index, ct.u.mult(share.value), {}};
  out.proof = dleq_prove<C>(rng, share_context<C>(verified.digest(), ct.label, share.index),
                            share_statement(ct, public_share, out), share.value);
  return out;
}

template <Curve C>
Result<DecryptionShare<C>> tdh2_decryption_share(Rng& rng, const Tdh2PublicKey<C>& key, const Tdh2Ciphertext<C>& ct,
                                                 const SecretShare<C>& share, const Element<C>& public_share) {
  VIGIL_ASSIGN_OR_RETURN(VerifiedCiphertext<C> verified, tdh2_check_ciphertext<C>(key, ct.clone()));
  return tdh2_decryption_share<C>(rng, verified, share, public_share);
}

template <Curve C>
Status tdh2_verify_share(const Tdh2Ciphertext<C>& ct, const Element<C>& public_share, const DecryptionShare<C>& share) {
  if (share.value.is_identity()) {
    return make_error(ErrorCode::kVerificationFailed, "decryption share is the identity", share.index);
  }
  auto status = dleq_verify<C>(share_context<C>(tdh2_ciphertext_digest(ct), ct.label, share.index),
                               share_statement(ct, public_share, share), share.proof);
  if (!status) {
    return make_error(ErrorCode::kVerificationFailed,
                      "decryption share " + std::to_string(share.index) + " has an invalid proof", share.index);
  }
  return {};
}

template <Curve C>
Result<Tdh2Decryption<C>> tdh2_combine(Rng& rng, const Tdh2PublicKey<C>& key,
                                       std::type_identity_t<std::span<const Element<C>>> public_shares,
                                       std::size_t threshold, const Tdh2Ciphertext<C>& ct,
                                       std::type_identity_t<std::span<const DecryptionShare<C>>> shares) {
  if (threshold == 0 || threshold > public_shares.size()) {
    return make_error(ErrorCode::kInvalidInput, "threshold must be between 1 and the number of public shares");
  }
  VIGIL_RETURN_IF_ERROR(tdh2_verify_ciphertext(key, ct));
  std::unordered_set<ParticipantIndex> seen;
  for (const auto& s : shares) {
    if (!seen.insert(s.index).second) {
      return make_error(ErrorCode::kInvalidInput, "two decryption shares claim index " + std::to_string(s.index),
                        s.index);
    }
  }

  // Shares that cannot even be checked (unknown index, identity) are invalid.
  Tdh2Decryption<C> result;
  std::vector<const DecryptionShare<C>*> candidates;
  for (const auto& s : shares) {
    if (s.index == 0 || s.index > public_shares.size() || s.value.is_identity()) {
      result.invalid_shares.push_back(s.index);
    } else {
      candidates.push_back(&s);
    }
  }
  const CiphertextDigest digest = tdh2_ciphertext_digest(ct);
  std::vector<Bytes> contexts;
  std::vector<DleqStatement<C>> statements;
  std::vector<DleqProof<C>> proofs;
  for (const auto* s : candidates) {
    contexts.push_back(share_context<C>(digest, ct.label, s->index));
    statements.push_back(share_statement(ct, public_shares[s->index - 1], *s));
    proofs.push_back(s->proof.clone());
  }
  std::vector<const DecryptionShare<C>*> valid;
  if (dleq_batch_verify<C>(rng, contexts, statements, proofs)) {
    valid = candidates;
  } else {
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      if (dleq_verify<C>(contexts[i], statements[i], proofs[i]).ok()) {
        valid.push_back(candidates[i]);
      } else {
        result.invalid_shares.push_back(candidates[i]->index);
      }
    }
  }
  std::sort(result.invalid_shares.begin(), result.invalid_shares.end());

  if (valid.size() < threshold) {
    std::string invalid;
    for (auto i : result.invalid_shares) invalid += (invalid.empty() ? "" : ", ") + std::to_string(i);
    return make_error(
        ErrorCode::kVerificationFailed,
        std::to_string(valid.size()) + " valid decryption share(s), " + std::to_string(threshold) + " needed" +
            (invalid.empty() ? "" : "; invalid: " + invalid),
        result.invalid_shares.empty() ? std::nullopt : std::optional<std::uint32_t>(result.invalid_shares.front()));
  }
  std::vector<ParticipantIndex> indices;
  std::vector<Element<C>> values;
  for (std::size_t i = 0; i < threshold; ++i) {
    indices.push_back(valid[i]->index);
    values.push_back(valid[i]->value);
  }
  VIGIL_ASSIGN_OR_RETURN(Element<C> shared, interpolate_in_exponent<C>(indices, values));
  const SecretBytes k = payload_key(key, shared, ct.u, ct.u_bar);
  VIGIL_ASSIGN_OR_RETURN(result.plaintext,
                         stream_decrypt(k.span(), payload_associated_data(ct.label, ct.u, ct.u_bar), ct.payload));
  return result;
}

template <Curve C>
Bytes encode_decryption_share(const DecryptionShare<C>& share) {
  ByteWriter w;
  w.u32(share.index);
  Bytes out = w.take();
  for (const Element<C>* e : {&share.value, &share.proof.a1, &share.proof.a2}) {
    auto enc = e->encode();
    out.insert(out.end(), enc.begin(), enc.end());
  }
  auto z = share.proof.z.encode();
  out.insert(out.end(), z.begin(), z.end());
  return out;
}

template <Curve C>
Result<DecryptionShare<C>> decode_decryption_share(ByteSpan bytes) {
  constexpr std::size_t kE = C::kElementBytes;
  constexpr std::size_t kSize = 4 + 3 * kE + C::kScalarBytes;
  if (bytes.size() != kSize) {
    return make_error(ErrorCode::kBadEncoding, "decryption share must be " + std::to_string(kSize) + " bytes, got " +
                                                   std::to_string(bytes.size()));
  }
  DecryptionShare<C> share;
  share.index = static_cast<ParticipantIndex>(bytes[0]) << 24 | static_cast<ParticipantIndex>(bytes[1]) << 16 |
                static_cast<ParticipantIndex>(bytes[2]) << 8 | bytes[3];
  VIGIL_ASSIGN_OR_RETURN(share.value, Element<C>::decode(bytes.subspan(4, kE)));
  VIGIL_ASSIGN_OR_RETURN(share.proof.a1, Element<C>::decode(bytes.subspan(4 + kE, kE)));
  VIGIL_ASSIGN_OR_RETURN(share.proof.a2, Element<C>::decode(bytes.subspan(4 + 2 * kE, kE)));
  VIGIL_ASSIGN_OR_RETURN(share.proof.z, Scalar<C>::decode(bytes.subspan(4 + 3 * kE)));
  return share;
}

namespace {

template <Curve C>
Bytes sealed_share_context(ByteSpan request_id, const CiphertextDigest& digest, ParticipantIndex index) {
  ByteWriter w;
  w.field("vigil/v1/tdh2/sealed-decryption-share").field(C::kName).field(request_id).field(digest).u32(index);
  return w.take();
}

}  // namespace

template <Curve C>
Result<Bytes> seal_decryption_share(Rng& rng, const X25519PublicKey& requester, ByteSpan request_id,
                                    const CiphertextDigest& digest, const DecryptionShare<C>& share) {
  return seal(rng, requester, encode_decryption_share(share), sealed_share_context<C>(request_id, digest, share.index));
}

template <Curve C>
Result<DecryptionShare<C>> open_decryption_share(ByteSpan requester_secret_key, ByteSpan sealed, ByteSpan request_id,
                                                 const CiphertextDigest& digest, ParticipantIndex index) {
  VIGIL_ASSIGN_OR_RETURN(SecretBytes plain,
                         open_sealed(requester_secret_key, sealed, sealed_share_context<C>(request_id, digest, index)));
  VIGIL_ASSIGN_OR_RETURN(DecryptionShare<C> share, decode_decryption_share<C>(plain.span()));
  if (share.index != index) {
    return make_error(
        ErrorCode::kVerificationFailed,
        "sealed share from node " + std::to_string(index) + " holds the share of index " + std::to_string(share.index),
        index);
  }
  return share;
}

// Explicit instantiations of the above for curve C (inside namespace vigil).
#define VIGIL_INSTANTIATE_TDH2(C)                                                                                     \
  template class Tdh2PublicKey<C>;                                                                                    \
  template CiphertextDigest tdh2_ciphertext_digest<C>(const Tdh2Ciphertext<C>&);                                      \
  template Result<Tdh2Ciphertext<C>> tdh2_encrypt<C>(Rng&, const Tdh2PublicKey<C>&, ByteSpan, ByteSpan);              \
  template Status tdh2_verify_ciphertext<C>(const Tdh2PublicKey<C>&, const Tdh2Ciphertext<C>&);                       \
  template Result<VerifiedCiphertext<C>> tdh2_check_ciphertext<C>(const Tdh2PublicKey<C>&, Tdh2Ciphertext<C>);        \
  template Result<DecryptionShare<C>> tdh2_decryption_share<C>(Rng&, const VerifiedCiphertext<C>&,                    \
                                                               const SecretShare<C>&, const Element<C>&);             \
  template Result<DecryptionShare<C>> tdh2_decryption_share<C>(                                                       \
      Rng&, const Tdh2PublicKey<C>&, const Tdh2Ciphertext<C>&, const SecretShare<C>&, const Element<C>&);             \
  template Status tdh2_verify_share<C>(const Tdh2Ciphertext<C>&, const Element<C>&, const DecryptionShare<C>&);       \
  template Result<Tdh2Decryption<C>> tdh2_combine<C>(                                                                 \
      Rng&, const Tdh2PublicKey<C>&, std::type_identity_t<std::span<const Element<C>>>, std::size_t,                  \
      const Tdh2Ciphertext<C>&, std::type_identity_t<std::span<const DecryptionShare<C>>>);                           \
  template Bytes encode_decryption_share<C>(const DecryptionShare<C>&);                                               \
  template Result<DecryptionShare<C>> decode_decryption_share<C>(ByteSpan);                                           \
  template Result<Bytes> seal_decryption_share<C>(Rng&, const X25519PublicKey&, ByteSpan, const CiphertextDigest&,    \
                                                  const DecryptionShare<C>&);                                         \
  template Result<DecryptionShare<C>> open_decryption_share<C>(ByteSpan, ByteSpan, ByteSpan, const CiphertextDigest&, \
                                                               ParticipantIndex);

}  // namespace vigil
