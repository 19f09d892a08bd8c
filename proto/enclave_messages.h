// What an enclave signs: the registration that protects a secret under a
// release policy, and the heartbeats that keep it locked; and the key id a
// registration is known by. The bytes are documented in proto/README.md
// ("Registration and heartbeat") with known answers in
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

}  // namespace vigil::proto
