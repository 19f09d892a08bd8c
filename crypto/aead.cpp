#include "vigil/aead.h"

#include <sodium.h>

#include <algorithm>
#include <array>

#include "internal/declassify.h"
#include "internal/sodium_init.h"

namespace vigil {

Result<Bytes> aead_encrypt(ByteSpan key, ByteSpan nonce, ByteSpan plaintext, ByteSpan associated_data) {
  internal::ensure_sodium_initialized();
  if (key.size() != kAeadKeyBytes) return make_error(ErrorCode::kInvalidInput, "AEAD key must be 32 bytes");
  if (nonce.size() != kAeadNonceBytes) return make_error(ErrorCode::kInvalidInput, "AEAD nonce must be 24 bytes");
  Bytes out(plaintext.size() + kAeadTagBytes);
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data(), &len, plaintext.data(), plaintext.size(),
                                             associated_data.data(), associated_data.size(), nullptr, nonce.data(),
                                             key.data());
  out.resize(static_cast<std::size_t>(len));
  return out;
}

Result<SecretBytes> aead_decrypt(ByteSpan key, ByteSpan nonce, ByteSpan ciphertext, ByteSpan associated_data) {
  internal::ensure_sodium_initialized();
  if (key.size() != kAeadKeyBytes) return make_error(ErrorCode::kInvalidInput, "AEAD key must be 32 bytes");
  if (nonce.size() != kAeadNonceBytes) return make_error(ErrorCode::kInvalidInput, "AEAD nonce must be 24 bytes");
  if (ciphertext.size() < kAeadTagBytes) return make_error(ErrorCode::kInvalidInput, "AEAD input shorter than its tag");
  SecretBytes out(ciphertext.size() - kAeadTagBytes);
  unsigned long long len = 0;
  // Whether the tag verified is public: the caller says so either way.
  if (internal::declassify(crypto_aead_xchacha20poly1305_ietf_decrypt(
          out.data(), &len, nullptr, ciphertext.data(), ciphertext.size(), associated_data.data(),
          associated_data.size(), nonce.data(), key.data())) != 0) {
    return make_error(ErrorCode::kVerificationFailed, "AEAD authentication failed");
  }
  return out;
}

}  // namespace vigil

namespace vigil {
namespace {

constexpr std::size_t kSealedChunkBytes = kStreamChunkBytes + kAeadTagBytes;

std::array<std::uint8_t, kAeadNonceBytes> chunk_nonce(std::uint64_t counter, bool last) {
  std::array<std::uint8_t, kAeadNonceBytes> nonce{};
  for (std::size_t i = 0; i < 8; ++i) nonce[15 + i] = static_cast<std::uint8_t>(counter >> (56 - 8 * i));
  nonce[23] = last ? 1 : 0;
  return nonce;
}

}  // namespace

std::size_t stream_ciphertext_size(std::size_t plaintext_size) {
  std::size_t chunks = plaintext_size == 0 ? 1 : (plaintext_size + kStreamChunkBytes - 1) / kStreamChunkBytes;
  return plaintext_size + chunks * kAeadTagBytes;
}

Result<Bytes> stream_encrypt(ByteSpan key, ByteSpan associated_data, ByteSpan plaintext) {
  if (key.size() != kAeadKeyBytes) return make_error(ErrorCode::kInvalidInput, "stream key must be 32 bytes");
  internal::ensure_sodium_initialized();
  Bytes out(stream_ciphertext_size(plaintext.size()));
  std::size_t in_off = 0, out_off = 0;
  for (std::uint64_t counter = 0;; ++counter) {
    const std::size_t len = std::min(kStreamChunkBytes, plaintext.size() - in_off);
    const bool last = in_off + len == plaintext.size();
    auto nonce = chunk_nonce(counter, last);
    unsigned long long written = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + out_off, &written, plaintext.data() + in_off, len,
                                               associated_data.data(), associated_data.size(), nullptr, nonce.data(),
                                               key.data());
    in_off += len;
    out_off += static_cast<std::size_t>(written);
    if (last) break;
  }
  return out;
}

Result<SecretBytes> stream_decrypt(ByteSpan key, ByteSpan associated_data, ByteSpan ciphertext) {
  if (key.size() != kAeadKeyBytes) return make_error(ErrorCode::kInvalidInput, "stream key must be 32 bytes");
  if (ciphertext.size() < kAeadTagBytes) {
    return make_error(ErrorCode::kVerificationFailed, "payload is shorter than one authentication tag");
  }
  // The framing is checked before anything is decrypted: every chunk but
  // the last is full, and the output is sized from that. A final chunk
  // shorter than a tag would otherwise leave the full chunks before it more
  // plaintext than the buffer holds. Only an empty payload has an empty
  // final chunk: anything else is a stream cut after a full chunk and
  // re-terminated.
  const std::size_t chunks = (ciphertext.size() + kSealedChunkBytes - 1) / kSealedChunkBytes;
  const std::size_t last_chunk = ciphertext.size() - (chunks - 1) * kSealedChunkBytes;
  if (last_chunk < kAeadTagBytes) {
    return make_error(ErrorCode::kVerificationFailed, "payload ends in a chunk shorter than its tag");
  }
  if (last_chunk == kAeadTagBytes && chunks > 1) {
    return make_error(ErrorCode::kVerificationFailed, "payload ends in an empty chunk");
  }
  internal::ensure_sodium_initialized();
  SecretBytes out(ciphertext.size() - chunks * kAeadTagBytes);
  std::size_t in_off = 0, out_off = 0;
  for (std::uint64_t counter = 0; counter < chunks; ++counter) {
    const bool last = counter + 1 == chunks;
    const std::size_t len = last ? last_chunk : kSealedChunkBytes;
    auto nonce = chunk_nonce(counter, last);
    unsigned long long written = 0;
    if (internal::declassify(crypto_aead_xchacha20poly1305_ietf_decrypt(
            out.data() + out_off, &written, nullptr, ciphertext.data() + in_off, len, associated_data.data(),
            associated_data.size(), nonce.data(), key.data())) != 0) {
      return make_error(ErrorCode::kVerificationFailed,
                        "payload chunk " + std::to_string(counter) +
                            " does not authenticate (altered, reordered or truncated payload)");
    }
    in_off += len;
    out_off += static_cast<std::size_t>(written);
  }
  return out;
}

}  // namespace vigil
