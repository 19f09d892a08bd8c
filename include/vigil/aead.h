// XChaCha20-Poly1305 (libsodium's IETF construction): 32-byte key, 24-byte
// nonce, 16-byte tag appended to the ciphertext.
#pragma once

#include <cstddef>

#include "vigil/bytes.h"
#include "vigil/result.h"

namespace vigil {

inline constexpr std::size_t kAeadKeyBytes = 32;
inline constexpr std::size_t kAeadNonceBytes = 24;
inline constexpr std::size_t kAeadTagBytes = 16;

// ciphertext || tag. Fails with kInvalidInput on a wrong key or nonce size.
Result<Bytes> aead_encrypt(ByteSpan key, ByteSpan nonce, ByteSpan plaintext, ByteSpan associated_data);

// The plaintext, or kVerificationFailed when the tag does not match (wrong
// key, nonce, associated data, or altered bytes); kInvalidInput on wrong
// sizes or an input shorter than a tag.
Result<SecretBytes> aead_decrypt(ByteSpan key, ByteSpan nonce, ByteSpan ciphertext, ByteSpan associated_data);

}  // namespace vigil
