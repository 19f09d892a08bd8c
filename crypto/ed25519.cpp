#include "vigil/ed25519.h"

#include <sodium.h>

#include "internal/sodium_init.h"

namespace vigil {
namespace {

// libsodium's 64-byte secret key (seed || public key), wiped after use.
SecretBytes expanded_secret(const Ed25519KeyPair& key) {
  SecretBytes sk(crypto_sign_SECRETKEYBYTES);
  Ed25519PublicKey pk{};
  crypto_sign_seed_keypair(pk.data(), sk.data(), key.seed.data());
  return sk;
}

}  // namespace

Result<Ed25519KeyPair> ed25519_from_seed(ByteSpan seed) {
  internal::ensure_sodium_initialized();
  if (seed.size() != crypto_sign_SEEDBYTES) return make_error(ErrorCode::kBadEncoding, "Ed25519 seed must be 32 bytes");
  Ed25519KeyPair kp{SecretBytes(seed), {}};
  SecretBytes sk(crypto_sign_SECRETKEYBYTES);
  crypto_sign_seed_keypair(kp.public_key.data(), sk.data(), kp.seed.data());
  return kp;
}

Ed25519KeyPair ed25519_generate(Rng& rng) {
  SecretBytes seed(crypto_sign_SEEDBYTES);
  rng.fill(seed.mutable_span());
  return ed25519_from_seed(seed.span()).value();
}

Ed25519Signature ed25519_sign(const Ed25519KeyPair& key, ByteSpan message) {
  const SecretBytes sk = expanded_secret(key);
  Ed25519Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), sk.data());
  return sig;
}

Status ed25519_verify(ByteSpan public_key, ByteSpan message, ByteSpan signature) {
  internal::ensure_sodium_initialized();
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES)
    return make_error(ErrorCode::kBadEncoding, "Ed25519 public key must be 32 bytes");
  if (signature.size() != crypto_sign_BYTES)
    return make_error(ErrorCode::kBadEncoding, "Ed25519 signature must be 64 bytes");
  if (crypto_sign_verify_detached(signature.data(), message.data(), message.size(), public_key.data()) != 0) {
    return make_error(ErrorCode::kVerificationFailed, "Ed25519 signature does not verify");
  }
  return {};
}

X25519KeyPair ed25519_to_x25519(const Ed25519KeyPair& key) {
  const SecretBytes sk = expanded_secret(key);
  X25519KeyPair out{SecretBytes(crypto_scalarmult_curve25519_BYTES), {}};
  crypto_sign_ed25519_sk_to_curve25519(out.secret_key.data(), sk.data());
  crypto_scalarmult_curve25519_base(out.public_key.data(), out.secret_key.data());
  return out;
}

Result<X25519PublicKey> ed25519_public_to_x25519(ByteSpan public_key) {
  internal::ensure_sodium_initialized();
  X25519PublicKey out{};
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES ||
      crypto_sign_ed25519_pk_to_curve25519(out.data(), public_key.data()) != 0) {
    return make_error(ErrorCode::kBadEncoding, "not a valid Ed25519 public key");
  }
  return out;
}

}  // namespace vigil
