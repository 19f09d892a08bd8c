#include "vigil/x25519.h"

#include <sodium.h>

#include "internal/declassify.h"
#include "internal/sodium_init.h"

namespace vigil {

X25519KeyPair x25519_generate(Rng& rng) {
  internal::ensure_sodium_initialized();
  X25519KeyPair kp{SecretBytes(kX25519Bytes), {}};
  rng.fill(kp.secret_key.mutable_span());
  crypto_scalarmult_curve25519_base(kp.public_key.data(), kp.secret_key.data());
  return kp;
}

Result<X25519PublicKey> x25519_public_key(ByteSpan secret_key) {
  internal::ensure_sodium_initialized();
  if (secret_key.size() != kX25519Bytes)
    return make_error(ErrorCode::kBadEncoding, "X25519 secret key must be 32 bytes");
  X25519PublicKey pk{};
  crypto_scalarmult_curve25519_base(pk.data(), secret_key.data());
  return pk;
}

Result<SecretBytes> x25519(ByteSpan secret_key, ByteSpan peer_public_key) {
  internal::ensure_sodium_initialized();
  if (secret_key.size() != kX25519Bytes)
    return make_error(ErrorCode::kBadEncoding, "X25519 secret key must be 32 bytes");
  if (peer_public_key.size() != kX25519Bytes) {
    return make_error(ErrorCode::kBadEncoding, "X25519 public key must be 32 bytes");
  }
  SecretBytes shared(kX25519Bytes);
  // libsodium returns -1 exactly when the output is all zero, which only a
  // low-order public key gives: public, and refused.
  if (internal::declassify(crypto_scalarmult_curve25519(shared.data(), secret_key.data(), peer_public_key.data())) !=
      0) {
    return make_error(ErrorCode::kVerificationFailed, "X25519 with a low-order public key");
  }
  return shared;
}

}  // namespace vigil
