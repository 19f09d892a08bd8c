// The signed messages of a protected secret: the registration by which an
// enclave protects it under a release policy, the heartbeats that keep it
// locked, the key id it is known by, and the recovery request its
// requesters sign. The bytes are documented in proto/README.md
// ("Registration, heartbeat and recovery request") with known answers in
// tests/vectors/signed-messages.json.
#pragma once

#include <array>
#include <cstdint>

#include "vigil/bytes.h"

namespace vigil::proto {

using KeyId = std::array<std::uint8_t, 32>;

// SHA-256(field("vigil/v1/key-id") field(policy digest) field(ciphertext
// digest)) over the first registration's ciphertext. Only the policy's
// enclave key can sign a registration with that content, so nobody else
// can claim the id; a ciphertext replaced by a heartbeat keeps it.
KeyId protected_key_id(ByteSpan policy_digest, ByteSpan ciphertext_digest);

// field("vigil/v1/registration") field(canonical policy) field(ciphertext
// digest) u64(registered_unix_ms): signed by the policy's enclave key.
Bytes registration_signing_bytes(ByteSpan canonical_policy, ByteSpan ciphertext_digest,
                                 std::int64_t registered_unix_ms);

// field("vigil/v1/heartbeat") field(key id) u64(counter) u64(unix_ms)
// field(replacement ciphertext digest, empty when the heartbeat replaces
// nothing): signed by the policy's enclave key.
Bytes heartbeat_signing_bytes(ByteSpan key_id, std::uint64_t counter, std::int64_t unix_ms,
                              ByteSpan replacement_digest);

// field("vigil/v1/recovery-request") field(key id) field(response key)
// field(nonce) u64(expires_at_unix_ms) u32(key_epoch, 0 for any). Every
// signer of an m-of-k requester condition signs these same bytes, each on
// their own machine; a node identifies a retried request by them.
Bytes recovery_request_signing_bytes(ByteSpan key_id, ByteSpan response_key, ByteSpan nonce,
                                     std::int64_t expires_at_unix_ms, std::uint32_t key_epoch);

}  // namespace vigil::proto
