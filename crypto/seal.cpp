#include "vigil/seal.h"

#include "vigil/aead.h"
#include "vigil/hash.h"

namespace vigil {
namespace {

constexpr std::string_view kSealInfo = "vigil/v1/seal";

// Key and nonce from the shared secret, bound to both public keys.
Result<SecretBytes> derive_key_and_nonce(ByteSpan shared, ByteSpan ephemeral_pk, ByteSpan recipient_pk) {
  Bytes salt(ephemeral_pk.begin(), ephemeral_pk.end());
  salt.insert(salt.end(), recipient_pk.begin(), recipient_pk.end());
  return hkdf_sha256(shared, salt, as_bytes(kSealInfo), kAeadKeyBytes + kAeadNonceBytes);
}

}  // namespace

Result<Bytes> seal(Rng& rng, const X25519PublicKey& recipient, ByteSpan plaintext, ByteSpan associated_data) {
  X25519KeyPair ephemeral = x25519_generate(rng);
  auto shared = x25519(ephemeral.secret_key.span(), recipient);
  if (!shared) return make_error(ErrorCode::kBadEncoding, "recipient key is a low-order X25519 point");
  VIGIL_ASSIGN_OR_RETURN(SecretBytes okm, derive_key_and_nonce(shared->span(), ephemeral.public_key, recipient));
  VIGIL_ASSIGN_OR_RETURN(Bytes body, aead_encrypt(okm.span().first(kAeadKeyBytes), okm.span().subspan(kAeadKeyBytes),
                                                  plaintext, associated_data));
  Bytes out(ephemeral.public_key.begin(), ephemeral.public_key.end());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Result<SecretBytes> open_sealed(ByteSpan recipient_secret_key, ByteSpan sealed, ByteSpan associated_data) {
  if (sealed.size() < kSealOverheadBytes) {
    return make_error(ErrorCode::kBadEncoding,
                      "sealed box is shorter than its " + std::to_string(kSealOverheadBytes) + "-byte overhead");
  }
  VIGIL_ASSIGN_OR_RETURN(X25519PublicKey recipient_pk, x25519_public_key(recipient_secret_key));
  ByteSpan ephemeral_pk = sealed.first(kX25519Bytes);
  auto shared = x25519(recipient_secret_key, ephemeral_pk);
  if (!shared) return make_error(ErrorCode::kVerificationFailed, "sealed box has a low-order ephemeral key");
  VIGIL_ASSIGN_OR_RETURN(SecretBytes okm, derive_key_and_nonce(shared->span(), ephemeral_pk, recipient_pk));
  auto opened = aead_decrypt(okm.span().first(kAeadKeyBytes), okm.span().subspan(kAeadKeyBytes),
                             sealed.subspan(kX25519Bytes), associated_data);
  if (!opened) return make_error(ErrorCode::kVerificationFailed, "sealed box does not open with this key and context");
  return std::move(opened).value();
}

}  // namespace vigil
