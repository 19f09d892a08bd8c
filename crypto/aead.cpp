#include "vigil/aead.h"

#include <sodium.h>

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
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.data(), &len, nullptr, ciphertext.data(), ciphertext.size(),
                                                 associated_data.data(), associated_data.size(), nonce.data(),
                                                 key.data()) != 0) {
    return make_error(ErrorCode::kVerificationFailed, "AEAD authentication failed");
  }
  return out;
}

}  // namespace vigil
