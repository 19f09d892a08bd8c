// SHA-2, RFC 9380 expand_message_xmd and RFC 5869 HKDF, on OpenSSL.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "vigil/bytes.h"
#include "vigil/result.h"

namespace vigil {

enum class HashFunction : std::uint8_t { kSha256, kSha512 };

std::size_t digest_size(HashFunction hash);

// The digest of the concatenation of `parts`.
Bytes hash(HashFunction function, std::initializer_list<ByteSpan> parts);
std::array<std::uint8_t, 32> sha256(ByteSpan data);

// RFC 9380 section 5.3.1. Fails with kInvalidInput when `dst` is empty or
// `length` exceeds 255 digests or 65535 bytes. A dst longer than 255 bytes is
// first hashed, as section 5.3.3 prescribes.
Result<Bytes> expand_message_xmd(HashFunction function, ByteSpan msg, ByteSpan dst, std::size_t length);

// RFC 5869 HKDF with SHA-256: `length` bytes of output key material. Fails
// with kInvalidInput when length exceeds 255 * 32.
Result<SecretBytes> hkdf_sha256(ByteSpan ikm, ByteSpan salt, ByteSpan info, std::size_t length);

}  // namespace vigil
