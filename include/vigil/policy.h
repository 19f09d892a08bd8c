// Release policies: when a node may release its decryption share of a
// protected secret. A policy is an OR of AND-groups of conditions
// (any_of [ all_of [ ... ] ]) together with the enclave key whose heartbeats
// count. Its canonical bytes (proto/README.md, "Release policy") are what
// travels and what is hashed: the digest is the TDH2 label of the ciphertext
// it protects, so a ciphertext cannot be moved to a weaker policy.
// tests/vectors/policies.json has known answers computed independently.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "vigil/bytes.h"
#include "vigil/ed25519.h"
#include "vigil/result.h"

namespace vigil {

inline constexpr std::uint32_t kPolicyVersion = 1;
inline constexpr std::size_t kMaxPolicyGroups = 16;
inline constexpr std::size_t kMaxRequesterKeys = 64;
inline constexpr std::size_t kMaxPolicyBytes = 16 * 1024;
inline constexpr std::uint64_t kMinSilenceMs = 1000;                            // 1 s
inline constexpr std::uint64_t kMaxSilenceMs = 10ULL * 366 * 24 * 3600 * 1000;  // about 10 years

// Condition kinds, as numbered in the canonical encoding. Within a group
// each kind appears at most once, in this order.
enum class ConditionKind : std::uint32_t {
  kEnclaveSilent = 1,  // no valid heartbeat for `silence_ms`
  kRequester = 2,      // signed by at least `m` of `keys`
  kNotBefore = 3,      // not before `not_before_unix_ms`
  kMaxReleases = 4,    // this node has released at most `max_releases - 1` times before
  // 5 is kept for `attested` (remote attestation).
};

// A requester condition: at least `m` of `keys` sign the request.
struct Requesters {
  std::uint32_t m = 0;
  std::vector<Ed25519PublicKey> keys;  // distinct, in ascending byte order
};

// One AND-group. A condition is present when its field is set.
struct PolicyGroup {
  std::optional<std::uint64_t> silence_ms;
  std::optional<Requesters> requester;
  std::optional<std::uint64_t> not_before_unix_ms;
  std::optional<std::uint32_t> max_releases;
};

struct Policy {
  Ed25519PublicKey enclave_key{};  // signs registrations and heartbeats
  std::vector<PolicyGroup> any_of;
};

// The rules of each condition. An error (kInvalidInput) starts with the
// offending field relative to the condition ("timeout: ...", "m: ...",
// "keys[1]: ..."), so that callers can prefix where the condition sits.
Status check_silence(std::uint64_t silence_ms);         // "timeout": 1 s to about 10 years
Status check_requesters(const Requesters& r);           // 1 <= m <= keys <= 64, ascending, distinct
Status check_max_releases(std::uint32_t max_releases);  // "count": at least 1

// Every rule of a policy, the error naming the field ("any_of: ...",
// "any_of[1].requester.m: ..."): 1 to 16 groups, each naming who may
// receive (a requester condition), each condition valid. kInvalidInput.
Status check_policy(const Policy& policy);

// The canonical bytes of a valid policy (check_policy first).
Bytes encode_policy(const Policy& policy);

// Decodes canonical bytes from an untrusted source: anything that is not
// exactly the canonical encoding of a valid policy (trailing bytes, an
// unknown kind, kinds out of order, unsorted keys, more than kMaxPolicyBytes)
// is kBadEncoding, or the check_policy error.
Result<Policy> decode_policy(ByteSpan canonical);

// SHA-256 of the canonical bytes: the TDH2 label of a protected ciphertext.
std::array<std::uint8_t, 32> policy_digest(ByteSpan canonical);

}  // namespace vigil
