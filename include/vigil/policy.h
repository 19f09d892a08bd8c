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
#include <string>
#include <string_view>
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
inline constexpr std::uint64_t kMaxNotBeforeMs = 253'402'300'799'000;           // 9999-12-31T23:59:59Z

// Condition kinds, as numbered in the canonical encoding. Within a group
// each kind appears at most once, in this order.
enum class ConditionKind : std::uint32_t {
  kEnclaveSilent = 1,  // no valid heartbeat for `silence_ms`
  kRequester = 2,      // signed by at least `m` of `keys`
  kNotBefore = 3,      // not before `not_before_unix_ms`
  kMaxReleases = 4,    // this node has released at most `max_releases - 1` times before
  kAttested = 5,       // the request carries a verified quote of a matching enclave or TD
};

// A requester condition: at least `m` of `keys` sign the request.
struct Requesters {
  std::uint32_t m = 0;
  std::vector<Ed25519PublicKey> keys;  // distinct, in ascending byte order
};

using Measurement32 = std::array<std::uint8_t, 32>;
using Measurement48 = std::array<std::uint8_t, 48>;

enum class AttestedTee : std::uint32_t { kSgx = 1, kTdx = 2 };
std::string_view attested_tee_name(AttestedTee tee);  // "sgx", "tdx"

// Intel TCB statuses, numbered as vigil::dcap::TcbStatus; an attested
// condition accepts a set of them as bits (1 << status).
inline constexpr std::array<std::string_view, 6> kAcceptableTcbStatuses = {
    "UpToDate",
    "SWHardeningNeeded",
    "ConfigurationNeeded",
    "ConfigurationAndSWHardeningNeeded",
    "OutOfDate",
    "OutOfDateConfigurationNeeded",
};
inline constexpr std::uint32_t kUpToDateOnly = 1;

// An SGX enclave's signer, its product, and the least security version.
struct SgxSigner {
  Measurement32 mr_signer{};
  std::uint16_t isv_prod_id = 0;
  std::uint16_t min_isv_svn = 0;
};

// An attested condition: the request carries a DCAP quote, verified by the
// node against its collateral, of a TD or enclave whose measurements are
// the pinned ones, whose TCB status is accepted, that is not a debug one,
// and whose report data binds the request (proto/protected_secrets.h).
struct Attested {
  AttestedTee tee = AttestedTee::kTdx;
  std::uint32_t statuses = kUpToDateOnly;  // bits of kAcceptableTcbStatuses
  // TDX: MRTD, and any of RTMR0..3.
  std::optional<Measurement48> mr_td;
  std::array<std::optional<Measurement48>, 4> rtmr;
  // SGX: MRENCLAVE, or MRSIGNER with the product id and a least ISV SVN, or both.
  std::optional<Measurement32> mr_enclave;
  std::optional<SgxSigner> signer;
};

// One AND-group. A condition is present when its field is set.
struct PolicyGroup {
  std::optional<std::uint64_t> silence_ms;
  std::optional<Requesters> requester;
  std::optional<std::uint64_t> not_before_unix_ms;
  std::optional<std::uint32_t> max_releases;
  std::optional<Attested> attested;
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
Status check_not_before(std::uint64_t unix_ms);         // "time": at most kMaxNotBeforeMs
// "statuses": a non-empty set of kAcceptableTcbStatuses; "tdx"/"sgx": at
// least one measurement pinned.
Status check_attested(const Attested& a);

// Every rule of a policy, the error naming the field ("any_of: ...",
// "any_of[1].requester.m: ..."): 1 to 16 groups, each naming who may
// receive (a requester or an attested condition), each condition valid.
// kInvalidInput.
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

// What a node knows when it decides a request: its own clock and state. The
// caller verifies signatures; evaluation is pure.
struct PolicyFacts {
  std::int64_t now_unix_ms = 0;
  // The newest valid heartbeat's own timestamp (or the registration's, before
  // the first heartbeat): every node computes the same deadline from it.
  std::int64_t last_heartbeat_unix_ms = 0;
  std::vector<Ed25519PublicKey> signers;  // keys whose signature on the request verified
  std::uint32_t releases = 0;             // this node's earlier releases of this secret
  // What the request's quote showed, when it verified and its report data
  // binds the request (the caller checked both); otherwise why not.
  struct Attestation {
    AttestedTee tee = AttestedTee::kTdx;
    std::uint32_t status = 0;  // index into kAcceptableTcbStatuses
    bool debug = false;
    Measurement48 mr_td{};
    std::array<Measurement48, 4> rtmr{};
    Measurement32 mr_enclave{};
    Measurement32 mr_signer{};
    std::uint16_t isv_prod_id = 0;
    std::uint16_t isv_svn = 0;
  };
  std::optional<Attestation> attestation;
  std::string attestation_error = "the request carries no quote";
  bool collateral_expired = false;  // the node's collateral is out of date: refused as such
};

// Why a request is refused, as stable reason codes.
enum class Refusal { kNone, kNotAuthorised, kNotBefore, kEnclaveAlive, kReleased, kNotAttested, kCollateralExpired };
// "not_authorised", "not_before", "enclave_alive", "released", "not_attested", "collateral_expired"
std::string_view refusal_code(Refusal refusal);

struct PolicyDecision {
  bool granted = false;
  std::size_t group = 0;  // the group that granted, or the one that came closest
  Refusal refusal = Refusal::kNone;
  std::string why;  // for people: what was missing, e.g. "1 of 2 required signatures"
};

// Why the facts' attestation does not satisfy `attested`, or "" when it
// does (a node records decisions only for requests that are signed by a
// requester or attested by a TD or enclave some group names).
std::string attestation_mismatch(const Attested& attested, const PolicyFacts& facts);

// Grants when any group holds. A group's conditions are checked in a fixed
// order (requester, attested, not_before, enclave_silent, max_releases); a refusal
// names the first condition that failed in the group that got furthest, so
// an authorised requester asking early hears "enclave_alive", a stranger
// "not_authorised".
PolicyDecision evaluate_policy(const Policy& policy, const PolicyFacts& facts);

}  // namespace vigil
