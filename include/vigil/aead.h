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

namespace vigil {

// Chunked authenticated encryption for payloads of any size (the STREAM
// construction of Hoang, Reyhanitabar, Rogaway and Vizar, as age uses it):
// the payload is cut into kStreamChunkBytes chunks, each sealed with
// XChaCha20-Poly1305 under a nonce holding the chunk counter and a final-chunk
// flag, so reordered, dropped, duplicated or truncated chunks fail to open.
// The key must be fresh for every payload (vigil derives it from a KEM).
inline constexpr std::size_t kStreamChunkBytes = 64 * 1024;

// Size of the sealed form of `plaintext_size` bytes.
std::size_t stream_ciphertext_size(std::size_t plaintext_size);

Result<Bytes> stream_encrypt(ByteSpan key, ByteSpan associated_data, ByteSpan plaintext);

// kVerificationFailed naming the first chunk that does not open;
// kInvalidInput on a wrong key size.
Result<SecretBytes> stream_decrypt(ByteSpan key, ByteSpan associated_data, ByteSpan ciphertext);

}  // namespace vigil
