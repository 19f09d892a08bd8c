// The constant-time check over what vigil does with secrets, end to end:
// scalar arithmetic and decoding, multiplication of fixed and variable
// bases by a secret, a decryption share with its DLEQ proof, sealing and
// opening, a trusted dealer's deal, a DKG and a resharing dealing,
// Ed25519 signing and X25519, and sealing under a master key. The secrets
// (keys, shares, and every random byte through SecretRng) are undefined to
// memcheck; what each step publishes is marked defined before it is
// compared with the same computation on defined inputs.
#include <algorithm>
#include <optional>
#include <string_view>

#include "ctime/ctime.h"
#include "vigil/aead.h"
#include "vigil/dealer.h"
#include "vigil/dkg.h"
#include "vigil/dleq.h"
#include "vigil/ed25519.h"
#include "vigil/seal.h"
#include "vigil/tdh2.h"
#include "vigil/x25519.h"

namespace vigil::ctime {
namespace {

ByteSpan text(std::string_view s) { return ByteSpan(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

template <Curve C>
void published_element(const Element<C>& e) {
  VALGRIND_MAKE_MEM_DEFINED(&e, sizeof(e));
}

template <Curve C>
std::uint64_t rng_seed_for() {
  return C::kId == CurveId::kRistretto255 ? 25519 : 256;
}

template <Curve C>
void scalars(SeededRng& rng) {
  Scalar<C> a = Scalar<C>::random(rng);
  Scalar<C> b = Scalar<C>::random(rng);
  auto formula = [](const Scalar<C>& x, const Scalar<C>& y) {
    Scalar<C> r = (x * y + x - y) * -x;
    r += y;
    r *= x;
    return r;
  };
  const auto reference = formula(a, b).encode();
  const auto a_encoding = a.encode();
  std::array<std::uint8_t, 64> wide{};
  rng.fill(wide);
  const auto wide_reference = Scalar<C>::reduce_wide(wide).encode();

  secret(a);
  secret(b);
  auto result = formula(a, b).encode();
  bool equal = a == b;
  bool zero = a.is_zero();
  published(result);
  published(equal);
  published(zero);
  check(result == reference && !equal && !zero, "scalar arithmetic");

  // A key share read back from storage, and hashing to a scalar.
  auto encoding = a_encoding;
  secret(encoding);
  auto decoded = Scalar<C>::decode(encoding);
  published(decoded);
  if (decoded) {
    auto again = decoded->encode();
    published(again);
    check(again == a_encoding, "scalar decoding");
  } else {
    check(false, "scalar decoding");
  }
  secret(wide);
  auto reduced = Scalar<C>::reduce_wide(wide).encode();
  published(reduced);
  check(reduced == wide_reference, "wide reduction");

  SecretRng secrets(rng_seed_for<C>());
  auto random = Scalar<C>::random(secrets);
  published(random);
  check(!random.is_zero(), "random scalar");
}

template <Curve C>
void multiplication(SeededRng& rng) {
  Scalar<C> k = Scalar<C>::random(rng);
  const Element<C> base = Element<C>::base_mult(Scalar<C>::random(rng));
  const auto fixed_reference = Element<C>::base_mult(k).encode();
  const auto variable_reference = base.mult(k).encode();
  secret(k);
  Element<C> fixed = Element<C>::base_mult(k);
  Element<C> variable = base.mult(k);
  published_element(fixed);
  published_element(variable);
  check(fixed.encode() == fixed_reference, "fixed-base multiplication by a secret");
  check(variable.encode() == variable_reference, "variable-base multiplication by a secret");
}

// u_i = x_i u with its DLEQ proof, as a node answers a recovery.
template <Curve C>
void decryption_share(SeededRng& rng) {
  const Deal<C> dealt = deal<C>(rng, 3, 2).value();
  const auto key = Tdh2PublicKey<C>::create(dealt.group_public_key()).value();
  const auto ciphertext = tdh2_encrypt<C>(rng, key, text("label"), text("a secret")).value();
  const auto verified = tdh2_check_ciphertext<C>(key, ciphertext.clone()).value();
  SecretShare<C> share = dealt.shares[1].share();
  secret(share.value);
  SecretRng nonces(7);
  auto computed = tdh2_decryption_share<C>(nonces, verified, share, dealt.shares[1].public_share);
  published(computed);
  if (!computed) return check(false, "decryption share");
  published_element(computed->value);
  published_element(computed->proof.a1);
  published_element(computed->proof.a2);
  published(computed->proof.z);
  check(tdh2_verify_share<C>(ciphertext, dealt.shares[1].public_share, *computed).ok(), "decryption share");
}

void sealing(SeededRng& rng) {
  X25519KeyPair recipient = x25519_generate(rng);
  SecretBytes plaintext(32);
  rng.fill(plaintext.mutable_span());
  const SecretBytes reference = plaintext.clone();
  secret_bytes(plaintext.mutable_span());
  SecretRng ephemeral(8);
  auto sealed = seal(ephemeral, recipient.public_key, plaintext.span(), text("associated"));
  published(sealed);
  if (!sealed) return check(false, "sealing");
  published_bytes(*sealed);
  secret_bytes(recipient.secret_key.mutable_span());
  auto opened = open_sealed(recipient.secret_key.span(), *sealed, text("associated"));
  published(opened);
  if (!opened) return check(false, "opening");
  published_bytes(opened->span());
  check(opened->span().size() == reference.size() &&
            std::equal(opened->span().begin(), opened->span().end(), reference.span().begin()),
        "opening");
}

template <Curve C>
void dealer(SeededRng&) {
  SecretRng secrets(9);
  auto dealt = deal<C>(secrets, 5, 3);
  published(dealt);
  if (!dealt) return check(false, "dealer");
  for (const auto& element : dealt->commitment.elements()) published_element(element);
  for (auto& share : dealt->shares) {
    published(share.secret_share);
    published_element(share.public_share);
  }
  check(verify_deal<C>(*dealt).ok(), "dealer");
}

// Phase 1 of a DKG, and of a resharing by an old member: the secret
// polynomial, its commitments, the proof of knowledge and the shares sealed
// to each recipient.
template <Curve C>
void dkg_dealing(SeededRng& rng) {
  const std::size_t n = 3;
  std::vector<X25519KeyPair> keys;
  std::vector<X25519PublicKey> publics;
  for (std::size_t i = 0; i < n; ++i) {
    keys.push_back(x25519_generate(rng));
    publics.push_back(keys.back().public_key);
  }
  DkgParameters parameters{{}, n, 2};
  parameters.session_id[0] = 1;
  const Deal<C> old = deal<C>(rng, n, 2).value();

  for (bool reshare : {false, true}) {
    SecretBytes own = keys[0].secret_key.clone();
    secret_bytes(own.mutable_span());
    std::optional<SecretShare<C>> old_share = old.shares[0].share();
    secret(old_share->value);
    auto dealer = reshare ? DkgParticipant<C>::create_reshare(parameters, ReshareSource<C>{old.commitment, n, 1},
                                                              std::move(old_share), 1, std::move(own), publics)
                          : DkgParticipant<C>::create(parameters, 1, std::move(own), publics);
    if (!dealer) return check(false, "dkg participant");
    SecretRng secrets(reshare ? 11 : 10);
    auto dealt = dealer->deal(secrets);
    published(dealt);
    if (!dealt) return check(false, reshare ? "resharing dealing" : "dkg dealing");
    for (const auto& commitment : dealt->dealing.commitments) published_element(commitment);
    published_element(dealt->dealing.proof.commitment);
    published(dealt->dealing.proof.response);
    for (auto& share : dealt->shares) published_bytes(share.sealed);

    auto recipient = reshare ? DkgParticipant<C>::create_reshare(parameters, ReshareSource<C>{old.commitment, n, 1},
                                                                 std::nullopt, 2, keys[1].secret_key.clone(), publics)
                             : DkgParticipant<C>::create(parameters, 2, keys[1].secret_key.clone(), publics);
    if (!recipient) return check(false, "dkg recipient");
    bool taken = recipient->receive_dealing(dealt->dealing).ok();
    for (const auto& share : dealt->shares) {
      if (share.recipient == 2) taken = taken && recipient->receive_share(share).ok();
    }
    check(taken, reshare ? "resharing dealing" : "dkg dealing");
  }
}

void signatures_and_key_agreement() {
  SecretRng secrets(12);
  Ed25519KeyPair signer = ed25519_generate(secrets);
  published(signer.public_key);
  auto signature = ed25519_sign(signer, text("a plan"));
  published(signature);
  check(ed25519_verify(signer.public_key, text("a plan"), signature).ok(), "Ed25519 signing");

  X25519KeyPair a = x25519_generate(secrets);
  X25519KeyPair b = x25519_generate(secrets);
  published(a.public_key);
  published(b.public_key);
  auto ab = x25519(a.secret_key.span(), b.public_key);
  auto ba = x25519(b.secret_key.span(), a.public_key);
  published(ab);
  published(ba);
  if (!ab || !ba) return check(false, "X25519");
  published_bytes(ab->span());
  published_bytes(ba->span());
  check(std::equal(ab->span().begin(), ab->span().end(), ba->span().begin()), "X25519");

  X25519KeyPair converted = ed25519_to_x25519(signer);
  published(converted.public_key);
  auto from_public = ed25519_public_to_x25519(signer.public_key);
  check(from_public && *from_public == converted.public_key, "Ed25519 to X25519");
}

// A key share sealed at rest under the node's master key, and opened again.
void master_key_sealing(SeededRng& rng) {
  SecretBytes master(32);
  rng.fill(master.mutable_span());
  SecretBytes share(32);
  rng.fill(share.mutable_span());
  std::array<std::uint8_t, 24> nonce{};
  rng.fill(nonce);
  const SecretBytes reference = share.clone();
  secret_bytes(master.mutable_span());
  secret_bytes(share.mutable_span());
  auto sealed = aead_encrypt(master.span(), nonce, share.span(), text("epoch 1"));
  published(sealed);
  if (!sealed) return check(false, "master-key sealing");
  published_bytes(*sealed);
  auto opened = aead_decrypt(master.span(), nonce, *sealed, text("epoch 1"));
  published(opened);
  if (!opened) return check(false, "master-key opening");
  published_bytes(opened->span());
  check(std::equal(opened->span().begin(), opened->span().end(), reference.span().begin()), "master-key opening");
}

}  // namespace

void protocols(SeededRng& rng) {
  scalars<Ristretto255>(rng);
  scalars<Secp256k1>(rng);
  multiplication<Ristretto255>(rng);
  multiplication<Secp256k1>(rng);
  decryption_share<Ristretto255>(rng);
  decryption_share<Secp256k1>(rng);
  sealing(rng);
  dealer<Ristretto255>(rng);
  dealer<Secp256k1>(rng);
  dkg_dealing<Ristretto255>(rng);
  dkg_dealing<Secp256k1>(rng);
  signatures_and_key_agreement();
  master_key_sealing(rng);
}

}  // namespace vigil::ctime
