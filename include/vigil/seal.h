// Sealing a message to an X25519 public key with bound associated data:
// an ephemeral X25519 key, HKDF-SHA256 over the shared secret and both public
// keys, and XChaCha20-Poly1305 with the caller's associated data. Unlike
// crypto_box_seal, the associated data (who the message is for, in which
// context) is authenticated, so a sealed box cannot be replayed elsewhere.
//
// Layout: ephemeral public key (32) || ciphertext || tag (16).
#pragma once

#include "vigil/bytes.h"
#include "vigil/random.h"
#include "vigil/result.h"
#include "vigil/x25519.h"

namespace vigil {

inline constexpr std::size_t kSealOverheadBytes = 32 + 16;

// Fails with kBadEncoding when the recipient key is a low-order point.
Result<Bytes> seal(Rng& rng, const X25519PublicKey& recipient, ByteSpan plaintext, ByteSpan associated_data);

// Fails with kBadEncoding on a truncated box and kVerificationFailed when
// the key, the associated data or any byte is wrong.
Result<SecretBytes> open_sealed(ByteSpan recipient_secret_key, ByteSpan sealed, ByteSpan associated_data);

}  // namespace vigil
