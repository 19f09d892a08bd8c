// The byte strings of a DKG or resharing that more than one program signs
// or hashes: the plan an operator signs, the transcript digest and the
// confirmation each node signs. Encodings are documented in proto/README.md.
//
// Committees are node indices. The new committee is nodes 1..parties; a DKG
// is dealt by that same committee, a resharing by `dealers`, members of the
// old committee (1..old_parties) holding shares of epoch old_epoch. A node
// may be a dealer, a member of the new committee, or both.
#pragma once

#include <chrono>
#include <map>
#include <span>
#include <vector>

#include "vigil/dkg.h"
#include "vigil/ed25519.h"
#include "vigil/group.h"
#include "vigil/v1/node.pb.h"

namespace vigil::proto {

inline constexpr std::chrono::milliseconds kDefaultPhaseTimeout{30000};

// A plan that parsed and passed every check: only parse_ceremony_plan makes one.
struct CeremonyPlan {
  v1::CeremonyPlan message;
  SessionId session_id{};
  CurveId curve = CurveId::kRistretto255;
  bool reshare = false;
  std::size_t parties = 0;
  std::size_t threshold = 0;
  std::vector<ParticipantIndex> dealers;  // sorted
  std::vector<ParticipantIndex> members;  // dealers and the new committee, sorted
  std::uint32_t epoch = 1;                // the key epoch it creates
  std::chrono::milliseconds phase_timeout = kDefaultPhaseTimeout;

  bool is_dealer(ParticipantIndex i) const;
  bool is_recipient(ParticipantIndex i) const { return i >= 1 && i <= parties; }
  bool is_member(ParticipantIndex i) const { return is_dealer(i) || is_recipient(i); }
  const char* kind_name() const { return reshare ? "reshare" : "dkg"; }
};

// "vigil/v1/ceremony-plan" and the serialised plan, length-prefixed: the
// operator signs the plan's bytes as sent, never a re-serialisation.
Bytes ceremony_plan_signing_bytes(ByteSpan plan_bytes);
v1::StartCeremonyRequest sign_ceremony_plan(const v1::CeremonyPlan& plan, const Ed25519KeyPair& operator_key);
// Adds another operator's approval to a request.
void approve_ceremony_plan(v1::StartCeremonyRequest& request, const Ed25519KeyPair& operator_key);

// The longest a plan may be valid for (expires_unix_ms - now).
inline constexpr std::chrono::hours kMaxPlanLifetime{24};

// Parses and validates a plan, naming the field that is wrong.
Result<CeremonyPlan> parse_ceremony_plan(ByteSpan plan_bytes);

// Checks an approved plan: field sizes (kBadEncoding), then every
// approval's key among `operators` and its signature, and at least `quorum`
// distinct approving operators (kVerificationFailed), then the plan itself.
Result<CeremonyPlan> check_ceremony_request(const v1::StartCeremonyRequest& request,
                                            std::span<const Ed25519PublicKey> operators, std::size_t quorum);

using Digest = std::array<std::uint8_t, 32>;

// What every confirmation states: SHA-256 over the session, the curve, the
// epoch, the group key and each qualified dealer's dealing digest.
Digest ceremony_transcript_digest(const CeremonyPlan& plan, ByteSpan group_key,
                                  const std::map<ParticipantIndex, Digest>& dealings);

// Where a statement sits: an author signs one body per slot.
struct StatementSlot {
  ParticipantIndex author = 0;
  v1::StatementKind kind = v1::STATEMENT_KIND_UNSPECIFIED;
  std::uint32_t subject = 0;  // a justification: the complainer it answers
  auto operator<=>(const StatementSlot&) const = default;
};

// The bytes an author signs for a statement: the session, the slot and the
// SHA-256 of the body, so the signature can be checked (and an
// equivocation proven) from the digest alone.
Bytes ceremony_statement_signing_bytes(const SessionId& session, const StatementSlot& slot, const Digest& body_digest);
v1::CeremonyStatement sign_ceremony_statement(const SessionId& session, const StatementSlot& slot, std::string body,
                                              const Ed25519KeyPair& author_key);
// The statement's digest form; `signature` is copied.
v1::StatementDigest statement_digest(const v1::CeremonyStatement& statement);
bool verify_statement_digest(const SessionId& session, const v1::StatementDigest& digest,
                             const Ed25519PublicKey& author_key);

}  // namespace vigil::proto
