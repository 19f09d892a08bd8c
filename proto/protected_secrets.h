// The signed messages of a protected secret: the registration by which an
// enclave protects it under a release policy, the heartbeats that keep it
// locked, the key id it is known by, and the recovery request its
// requesters sign. The bytes are documented in proto/README.md
// ("Registration, heartbeat and recovery request") with known answers in
// tests/vectors/signed-messages.json.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "proto/codec.h"
#include "vigil/bytes.h"
#include "vigil/policy.h"

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

// The report data a quote in an attested recovery request must carry:
// SHA-512 of field("vigil/v1/attested-recovery") field(the request's
// signing bytes: key id, response key, nonce, expiry, key epoch)
// field(group public key). The enclave asks its TEE for a quote over these
// 64 bytes, so that the quote speaks for this one request to this cluster
// only, expires with it, and the shares are sealed to the key it names.
std::array<std::uint8_t, 64> attested_report_data(ByteSpan request_signing_bytes, ByteSpan group_public_key);

// ---- the messages, signed and checked. Each check names the field it
// refuses: kBadEncoding for sizes and encodings, kInvalidInput for rules,
// kVerificationFailed for signatures.

inline constexpr std::size_t kMinNonceBytes = 16, kMaxNonceBytes = 64;
// A protected secret is a key, at most 64 KiB: its sealed payload (STREAM
// chunks and tags included) at most this. Every release keeps a copy for
// retries, and peers pass registrations on in frames of limited size.
inline constexpr std::size_t kMaxProtectedSecretBytes = 64 * 1024;
inline constexpr std::size_t kMaxProtectedPayloadBytes = kMaxProtectedSecretBytes + 1024;
inline constexpr std::size_t kMaxRecoverySigners = kMaxRequesterKeys;

// Fills in the signature.
void sign_registration(v1::Registration& registration, const Ed25519KeyPair& enclave);

struct CheckedRegistration {
  Policy policy;
  Bytes canonical_policy;
  AnyCiphertext ciphertext;
  KeyId key_id{};
};
// The policy decodes, the ciphertext converts and its label is the policy's
// digest, and the policy's enclave key signed it. Whether the ciphertext is
// valid under the cluster's key is for the node to check.
Result<CheckedRegistration> check_registration(const v1::Registration& registration);

// Fills in the signature (the replacement, if any, is set beforehand).
void sign_heartbeat(v1::Heartbeat& heartbeat, const Ed25519KeyPair& enclave);

struct CheckedHeartbeat {
  std::optional<AnyCiphertext> replacement;
};
// A heartbeat for a registered secret: sizes, a replacement under the same
// policy (`policy_digest` as its label), and the enclave's signature. A node
// compares the counter with its stored one before calling this, so that old
// heartbeats cost no signature check.
Result<CheckedHeartbeat> check_heartbeat(const v1::Heartbeat& heartbeat, const Ed25519PublicKey& enclave_key,
                                         ByteSpan policy_digest);

Bytes recovery_request_signing_bytes(const v1::RecoveryRequest& request);
// Adds `signer`'s signature to the request's list.
void add_recovery_signature(v1::RecoveryRequest& request, const Ed25519KeyPair& signer);

struct CheckedRecovery {
  std::array<std::uint8_t, 32> request_digest{};  // SHA-256 of the signing bytes: a retry's identity
  std::vector<Ed25519PublicKey> signers;          // each verified, each once
};
// Sizes, at most kMaxRecoverySigners signatures and at least one unless
// the request carries a quote, no key twice, every signature valid. The
// policy decides whether the signers (or the quote) suffice.
Result<CheckedRecovery> check_recovery_request(const v1::RecoveryRequest& request);

}  // namespace vigil::proto
