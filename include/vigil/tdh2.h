// TDH2 threshold encryption with labels (Shoup and Gennaro, "Securing
// threshold cryptosystems against chosen ciphertext attack", 1998, section 5),
// used as a KEM in front of the STREAM payload encryption of aead.h.
//
// A ciphertext carries its label, u = rG, u_bar = r G_bar, and a proof that
// both share the exponent r; the proof hashes the label and the payload
// digest, so neither can be changed or moved to another label. The proof is
// sent in commitment form (w, w_bar, f) rather than the paper's (e, f): the
// challenge e is recomputed, and both verification equations are checked in
// one multi-scalar multiplication, which halves the cost of the check every
// node runs before it releases a share. G_bar is a
// second generator hashed from the group key. The payload key is derived
// from r * H (H the group key); holders of shares x_i release u_i = x_i u
// with a DLEQ proof against their public share X_i = x_i G, and any t valid
// decryption shares interpolate to r * H.
#pragma once

#include <array>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "vigil/dleq.h"
#include "vigil/seal.h"
#include "vigil/shamir.h"

namespace vigil {

template <Curve C>
class Tdh2PublicKey {
 public:
  // Fails with kInvalidInput on the identity. Builds the precomputed tables
  // that make encryption fast (about 0.2 ms); copies share them.
  static Result<Tdh2PublicKey> create(const Element<C>& group_key);

  const Element<C>& group_key() const { return group_key_.element(); }
  const Element<C>& second_generator() const { return second_generator_.element(); }
  const PrecomputedElement<C>& precomputed_group_key() const { return group_key_; }
  const PrecomputedElement<C>& precomputed_second_generator() const { return second_generator_; }

 private:
  Tdh2PublicKey(const Element<C>& h, const Element<C>& g_bar) : group_key_(h), second_generator_(g_bar) {}
  PrecomputedElement<C> group_key_;
  PrecomputedElement<C> second_generator_;
};

template <Curve C>
struct Tdh2Ciphertext {
  Bytes label;
  Element<C> u, u_bar;  // r G, r G_bar
  Element<C> w, w_bar;  // validity proof commitments s G, s G_bar
  Scalar<C> f;          // s + r e, e = H(key, label, payload digest, u, w, u_bar, w_bar)
  Bytes payload;        // STREAM(XChaCha20-Poly1305) under a key derived from r H

  Tdh2Ciphertext clone() const { return {label, u, u_bar, w, w_bar, f.clone(), payload}; }
};

using CiphertextDigest = std::array<std::uint8_t, 32>;

// SHA-256 over every field, length-prefixed: names a ciphertext in decryption
// share proofs, sealed responses and requests.
template <Curve C>
CiphertextDigest tdh2_ciphertext_digest(const Tdh2Ciphertext<C>& ciphertext);

// Encrypts `plaintext` to the group key under `label` (bound to the
// ciphertext; a policy digest in vigil's protocol). A Result like every
// fallible call here: the payload encryption's errors pass through, though
// with a key made by Tdh2PublicKey::create it has none.
template <Curve C>
Result<Tdh2Ciphertext<C>> tdh2_encrypt(Rng& rng, const Tdh2PublicKey<C>& key, ByteSpan label, ByteSpan plaintext);

// Checks the validity proof: kVerificationFailed if anything was altered.
template <Curve C>
Status tdh2_verify_ciphertext(const Tdh2PublicKey<C>& key, const Tdh2Ciphertext<C>& ciphertext);

template <Curve C>
class VerifiedCiphertext;

// tdh2_verify_ciphertext, keeping the result as a VerifiedCiphertext.
template <Curve C>
Result<VerifiedCiphertext<C>> tdh2_check_ciphertext(const Tdh2PublicKey<C>& key, Tdh2Ciphertext<C> ciphertext);

// A ciphertext whose validity proof has been checked under a key, with its
// digest. Only tdh2_check_ciphertext makes one, so a holder of a share that is
// given a VerifiedCiphertext need not check it again (a node checks once, at
// registration, and serves many requests for it).
template <Curve C>
class VerifiedCiphertext {
 public:
  const Tdh2Ciphertext<C>& ciphertext() const { return ciphertext_; }
  const CiphertextDigest& digest() const { return digest_; }

 private:
  // Befriends the one specialisation for C (a friend template with a
  // constrained parameter is not matched by clang 16).
  friend Result<VerifiedCiphertext> tdh2_check_ciphertext<C>(const Tdh2PublicKey<C>&, Tdh2Ciphertext<C>);
  VerifiedCiphertext(Tdh2Ciphertext<C> ct, const CiphertextDigest& digest)
      : ciphertext_(std::move(ct)), digest_(digest) {}
  Tdh2Ciphertext<C> ciphertext_;
  CiphertextDigest digest_;
};

template <Curve C>
struct DecryptionShare;

// The decryption share of a ciphertext already checked under this key: the
// form a node serving many requests uses. Fails with kInvalidInput on a
// share with index 0 or an identity public share.
template <Curve C>
Result<DecryptionShare<C>> tdh2_decryption_share(Rng& rng, const VerifiedCiphertext<C>& ciphertext,
                                                 const SecretShare<C>& share, const Element<C>& public_share);

template <Curve C>
struct DecryptionShare {
  ParticipantIndex index = 0;
  Element<C> value;  // x_i u
  DleqProof<C> proof;

  DecryptionShare clone() const { return {index, value, proof.clone()}; }
};

// Checks the ciphertext first and refuses an invalid one (kVerificationFailed),
// then computes x_i u with its proof against `public_share` (X_i = x_i G, which
// the holder keeps beside its share; a wrong one yields a share that fails
// verification).
template <Curve C>
Result<DecryptionShare<C>> tdh2_decryption_share(Rng& rng, const Tdh2PublicKey<C>& key,
                                                 const Tdh2Ciphertext<C>& ciphertext, const SecretShare<C>& share,
                                                 const Element<C>& public_share);

// Checks one share against its holder's public share X_i = x_i G.
template <Curve C>
Status tdh2_verify_share(const Tdh2Ciphertext<C>& ciphertext, const Element<C>& public_share,
                         const DecryptionShare<C>& share);

template <Curve C>
struct Tdh2Decryption {
  SecretBytes plaintext;
  std::vector<ParticipantIndex> invalid_shares;  // shares that failed, by index
};

// Verifies every share (in one batch, then one by one if the batch fails),
// interpolates any `threshold` valid ones and decrypts the payload.
// `public_shares[i - 1]` is X_i. Fails with kInvalidInput on duplicate
// indices, kVerificationFailed when the ciphertext is invalid or fewer than
// `threshold` shares verify (the message names the invalid indices), and
// kVerificationFailed when the payload does not authenticate.
// The curve is deduced from `key` alone, so vectors pass as they are.
template <Curve C>
Result<Tdh2Decryption<C>> tdh2_combine(Rng& rng, const Tdh2PublicKey<C>& key,
                                       std::type_identity_t<std::span<const Element<C>>> public_shares,
                                       std::size_t threshold, const Tdh2Ciphertext<C>& ciphertext,
                                       std::type_identity_t<std::span<const DecryptionShare<C>>> shares);

// Fixed-size binary form of a decryption share: index (4 bytes, big-endian),
// value, a1, a2, z. decode fails with kBadEncoding on any invalid part.
template <Curve C>
Bytes encode_decryption_share(const DecryptionShare<C>& share);
template <Curve C>
Result<DecryptionShare<C>> decode_decryption_share(ByteSpan bytes);

// Private delivery: a share sealed to the requester's X25519 key, with the
// request id, the ciphertext digest and the node index bound as associated
// data, so a relay learns nothing and cannot re-route the response.
template <Curve C>
Result<Bytes> seal_decryption_share(Rng& rng, const X25519PublicKey& requester, ByteSpan request_id,
                                    const CiphertextDigest& digest, const DecryptionShare<C>& share);

// Opens a sealed share from node `index`: kVerificationFailed when it does not
// open in this context or holds another index, kBadEncoding when the box is
// too short to be one or its content is malformed. The proof is not checked here (tdh2_combine does).
template <Curve C>
Result<DecryptionShare<C>> open_decryption_share(ByteSpan requester_secret_key, ByteSpan sealed, ByteSpan request_id,
                                                 const CiphertextDigest& digest, ParticipantIndex index);

}  // namespace vigil
