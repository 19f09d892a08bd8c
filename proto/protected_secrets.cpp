#include "proto/protected_secrets.h"

#include "vigil/byte_writer.h"
#include "vigil/hash.h"

namespace vigil::proto {

KeyId protected_key_id(ByteSpan policy_digest, ByteSpan ciphertext_digest) {
  ByteWriter w;
  w.field("vigil/v1/key-id").field(policy_digest).field(ciphertext_digest);
  return sha256(w.bytes());
}

Bytes registration_signing_bytes(ByteSpan canonical_policy, ByteSpan ciphertext_digest,
                                 std::int64_t registered_unix_ms) {
  ByteWriter w;
  w.field("vigil/v1/registration")
      .field(canonical_policy)
      .field(ciphertext_digest)
      .u64(static_cast<std::uint64_t>(registered_unix_ms));
  return w.take();
}

Bytes heartbeat_signing_bytes(ByteSpan key_id, std::uint64_t counter, std::int64_t unix_ms,
                              ByteSpan replacement_digest) {
  ByteWriter w;
  w.field("vigil/v1/heartbeat")
      .field(key_id)
      .u64(counter)
      .u64(static_cast<std::uint64_t>(unix_ms))
      .field(replacement_digest);
  return w.take();
}

Bytes recovery_request_signing_bytes(ByteSpan key_id, ByteSpan response_key, ByteSpan nonce,
                                     std::int64_t expires_at_unix_ms, std::uint32_t key_epoch) {
  ByteWriter w;
  w.field("vigil/v1/recovery-request")
      .field(key_id)
      .field(response_key)
      .field(nonce)
      .u64(static_cast<std::uint64_t>(expires_at_unix_ms))
      .u32(key_epoch);
  return w.take();
}

}  // namespace vigil::proto
