#include "proto/decryption_request.h"

#include "vigil/byte_writer.h"

namespace vigil::proto {

Bytes decryption_request_signing_bytes(const v1::DecryptionRequest& r) {
  ByteWriter w;
  w.field("vigil/v1/decryption-request")
      .field(as_bytes(r.ciphertext_digest()))
      .field(as_bytes(r.response_key()))
      .field(as_bytes(r.request_id()))
      .field(as_bytes(r.nonce()))
      .u64(static_cast<std::uint64_t>(r.expires_at_unix_ms()))
      .field(as_bytes(r.requester_key()))
      .u32(r.key_epoch());
  return w.take();
}

void sign_decryption_request(v1::DecryptionRequest& request, const Ed25519KeyPair& requester) {
  request.set_requester_key(std::string(requester.public_key.begin(), requester.public_key.end()));
  auto sig = ed25519_sign(requester, decryption_request_signing_bytes(request));
  request.set_signature(std::string(sig.begin(), sig.end()));
}

Status check_decryption_request(const v1::DecryptionRequest& r) {
  auto size_error = [](const char* field, const std::string& want) {
    return make_error(ErrorCode::kBadEncoding, std::string(field) + " must be " + want);
  };
  if (r.ciphertext_digest().size() != 32) return size_error("ciphertext_digest", "32 bytes");
  if (r.response_key().size() != 32) return size_error("response_key", "a 32-byte X25519 public key");
  if (r.request_id().size() < kMinRequestIdBytes || r.request_id().size() > kMaxRequestIdBytes) {
    return size_error("request_id", "16 to 64 bytes");
  }
  if (r.nonce().size() < kMinRequestIdBytes || r.nonce().size() > kMaxRequestIdBytes)
    return size_error("nonce", "16 to 64 bytes");
  if (r.requester_key().size() != 32) return size_error("requester_key", "a 32-byte Ed25519 public key");
  if (r.signature().size() != 64) return size_error("signature", "64 bytes");
  auto status =
      ed25519_verify(as_bytes(r.requester_key()), decryption_request_signing_bytes(r), as_bytes(r.signature()));
  if (!status) return make_error(ErrorCode::kVerificationFailed, "request signature does not verify");
  return {};
}

}  // namespace vigil::proto
