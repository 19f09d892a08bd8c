// Ed25519 signatures (RFC 8032) on libsodium: node identities and signed
// requests. A key pair comes from a 32-byte seed, which is also the raw
// private key OpenSSL takes for TLS identities.
#pragma once

#include <array>
#include <cstdint>

#include "vigil/bytes.h"
#include "vigil/random.h"
#include "vigil/x25519.h"

namespace vigil {

using Ed25519PublicKey = std::array<std::uint8_t, 32>;
using Ed25519Signature = std::array<std::uint8_t, 64>;

struct Ed25519KeyPair {
  SecretBytes seed;  // 32 bytes
  Ed25519PublicKey public_key;
};

Ed25519KeyPair ed25519_generate(Rng& rng);
// Fails with kBadEncoding unless the seed has 32 bytes.
Result<Ed25519KeyPair> ed25519_from_seed(ByteSpan seed);

Ed25519Signature ed25519_sign(const Ed25519KeyPair& key, ByteSpan message);
// kVerificationFailed for a wrong signature, kBadEncoding for wrong sizes.
Status ed25519_verify(ByteSpan public_key, ByteSpan message, ByteSpan signature);

// The X25519 key pair birationally equivalent to an Ed25519 identity, so a
// node's one identity key also receives shares sealed to it.
X25519KeyPair ed25519_to_x25519(const Ed25519KeyPair& key);
Result<X25519PublicKey> ed25519_public_to_x25519(ByteSpan public_key);

}  // namespace vigil
