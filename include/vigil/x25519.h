// X25519 key agreement (RFC 7748) on libsodium.
#pragma once

#include <array>
#include <cstdint>

#include "vigil/bytes.h"
#include "vigil/random.h"
#include "vigil/result.h"

namespace vigil {

inline constexpr std::size_t kX25519Bytes = 32;
using X25519PublicKey = std::array<std::uint8_t, kX25519Bytes>;

struct X25519KeyPair {
  SecretBytes secret_key;  // 32 bytes
  X25519PublicKey public_key;
};

X25519KeyPair x25519_generate(Rng& rng);

// The public key of a 32-byte secret key.
Result<X25519PublicKey> x25519_public_key(ByteSpan secret_key);

// The shared secret. Fails with kBadEncoding on wrong sizes and with
// kVerificationFailed when the result is all zero (a low-order public key):
// such a "shared" secret is known to everyone.
Result<SecretBytes> x25519(ByteSpan secret_key, ByteSpan peer_public_key);

}  // namespace vigil
