#include "proto/ceremony.h"

#include <algorithm>
#include <set>

#include "proto/codec.h"
#include "vigil/byte_writer.h"
#include "vigil/hash.h"

namespace vigil::proto {
namespace {

constexpr std::uint32_t kPlanVersion = 1;
constexpr std::uint32_t kMinPhaseTimeoutMs = 100, kMaxPhaseTimeoutMs = 3'600'000;
constexpr std::size_t kMaxPlanBytes = 1u << 20;

Error plan_error(const std::string& field, const std::string& problem) {
  return make_error(ErrorCode::kInvalidInput, "ceremony plan: " + field + " " + problem);
}

}  // namespace

bool CeremonyPlan::is_dealer(ParticipantIndex i) const { return std::binary_search(dealers.begin(), dealers.end(), i); }

Bytes ceremony_plan_signing_bytes(ByteSpan plan_bytes) {
  ByteWriter w;
  w.field("vigil/v1/ceremony-plan").field(plan_bytes);
  return w.take();
}

v1::StartCeremonyRequest sign_ceremony_plan(const v1::CeremonyPlan& plan, const Ed25519KeyPair& operator_key) {
  v1::StartCeremonyRequest request;
  request.set_plan(plan.SerializeAsString());
  approve_ceremony_plan(request, operator_key);
  return request;
}

void approve_ceremony_plan(v1::StartCeremonyRequest& request, const Ed25519KeyPair& operator_key) {
  v1::OperatorApproval* approval = request.add_approvals();
  approval->set_operator_key(std::string(operator_key.public_key.begin(), operator_key.public_key.end()));
  const auto signature = ed25519_sign(operator_key, ceremony_plan_signing_bytes(as_bytes(request.plan())));
  approval->set_signature(std::string(signature.begin(), signature.end()));
}

Result<CeremonyPlan> parse_ceremony_plan(ByteSpan plan_bytes) {
  CeremonyPlan p;
  if (plan_bytes.size() > kMaxPlanBytes ||
      !p.message.ParseFromArray(plan_bytes.data(), static_cast<int>(plan_bytes.size()))) {
    return make_error(ErrorCode::kBadEncoding, "ceremony plan does not parse");
  }
  const v1::CeremonyPlan& m = p.message;
  if (m.version() != kPlanVersion) return plan_error("version", "must be " + std::to_string(kPlanVersion));
  if (m.session_id().size() != p.session_id.size()) return plan_error("session_id", "must be 32 bytes");
  if (!m.abandons_session().empty() && m.abandons_session().size() != p.session_id.size()) {
    return plan_error("abandons_session", "must be empty or 32 bytes");
  }
  std::copy(m.session_id().begin(), m.session_id().end(), p.session_id.begin());
  VIGIL_ASSIGN_OR_RETURN(p.curve, from_proto_curve(m.curve()));
  if (auto s = check_threshold(m.parties(), m.threshold()); !s)
    return plan_error("parties/threshold", s.error().message);
  p.parties = m.parties();
  p.threshold = m.threshold();
  if (m.phase_timeout_ms() != 0) {
    if (m.phase_timeout_ms() < kMinPhaseTimeoutMs || m.phase_timeout_ms() > kMaxPhaseTimeoutMs) {
      return plan_error("phase_timeout_ms", "must be between 100 and 3600000");
    }
    p.phase_timeout = std::chrono::milliseconds(m.phase_timeout_ms());
  }
  std::set<ParticipantIndex> members;
  switch (m.kind()) {
    case v1::CEREMONY_KIND_DKG:
      if (m.dealers_size() != 0 || m.old_parties() != 0 || m.old_epoch() != 0 || m.old_commitments_size() != 0) {
        return plan_error("dealers/old_*", "must be empty for a DKG");
      }
      for (ParticipantIndex i = 1; i <= p.parties; ++i) p.dealers.push_back(i);
      break;
    case v1::CEREMONY_KIND_RESHARE: {
      p.reshare = true;
      const std::size_t old_threshold = static_cast<std::size_t>(m.old_commitments_size());
      if (auto s = check_threshold(m.old_parties(), old_threshold); !s) {
        return plan_error("old_parties/old_commitments", s.error().message);
      }
      if (m.old_epoch() == 0 || m.old_epoch() == UINT32_MAX)
        return plan_error("old_epoch", "must be a held epoch (>= 1)");
      std::set<ParticipantIndex> dealers;
      for (std::uint32_t d : m.dealers()) {
        if (d == 0 || d > m.old_parties())
          return plan_error("dealers", "name old members 1.." + std::to_string(m.old_parties()));
        if (!dealers.insert(d).second) return plan_error("dealers", "name " + std::to_string(d) + " twice");
      }
      if (dealers.size() < old_threshold) {
        return plan_error("dealers", "are " + std::to_string(dealers.size()) + "; at least the old threshold (" +
                                         std::to_string(old_threshold) + ") must deal");
      }
      p.dealers.assign(dealers.begin(), dealers.end());
      p.epoch = m.old_epoch() + 1;
      break;
    }
    default: return plan_error("kind", "must be dkg or reshare");
  }
  members.insert(p.dealers.begin(), p.dealers.end());
  for (ParticipantIndex i = 1; i <= p.parties; ++i) members.insert(i);
  p.members.assign(members.begin(), members.end());
  return p;
}

Result<CeremonyPlan> check_ceremony_request(const v1::StartCeremonyRequest& request,
                                            std::span<const Ed25519PublicKey> operators, std::size_t quorum) {
  if (request.approvals_size() == 0) return make_error(ErrorCode::kBadEncoding, "the plan carries no approvals");
  if (static_cast<std::size_t>(request.approvals_size()) > std::max<std::size_t>(operators.size(), 1)) {
    return make_error(ErrorCode::kBadEncoding, "more approvals than there are operators");
  }
  for (const auto& a : request.approvals()) {
    if (a.operator_key().size() != 32 || a.signature().size() != 64) {
      return make_error(ErrorCode::kBadEncoding, "an approval's operator_key must be 32 bytes and its signature 64");
    }
  }
  const Bytes signed_bytes = ceremony_plan_signing_bytes(as_bytes(request.plan()));
  std::set<std::string> approvers;
  for (const auto& a : request.approvals()) {
    const ByteSpan key = as_bytes(a.operator_key());
    if (std::none_of(operators.begin(), operators.end(),
                     [&](const Ed25519PublicKey& k) { return std::ranges::equal(k, key); })) {
      return make_error(ErrorCode::kVerificationFailed,
                        "operator key " + to_hex(key).substr(0, 16) + "… is not listed under [[operators]]");
    }
    if (!ed25519_verify(key, signed_bytes, as_bytes(a.signature()))) {
      return make_error(ErrorCode::kVerificationFailed, "ceremony plan signature does not verify");
    }
    approvers.insert(a.operator_key());
  }
  if (approvers.size() < std::max<std::size_t>(quorum, 1)) {
    return make_error(ErrorCode::kVerificationFailed,
                      "the plan is approved by " + std::to_string(approvers.size()) + " of the operators; " +
                          std::to_string(std::max<std::size_t>(quorum, 1)) + " needed (operator_quorum)");
  }
  return parse_ceremony_plan(as_bytes(request.plan()));
}

Digest ceremony_transcript_digest(const CeremonyPlan& plan, ByteSpan group_key,
                                  const std::map<ParticipantIndex, Digest>& dealings) {
  ByteWriter w;
  w.field("vigil/v1/dkg/transcript").field(plan.session_id).field(curve_name(plan.curve)).u32(plan.epoch);
  w.field(group_key).u32(static_cast<std::uint32_t>(dealings.size()));
  for (const auto& [dealer, digest] : dealings) w.u32(dealer).field(digest);
  return sha256(w.bytes());
}

Bytes ceremony_statement_signing_bytes(const SessionId& session, const StatementSlot& slot, const Digest& body_digest) {
  ByteWriter w;
  w.field("vigil/v1/ceremony/statement").field(session).u32(slot.author).u32(static_cast<std::uint32_t>(slot.kind));
  w.u32(slot.subject).field(body_digest);
  return w.take();
}

v1::CeremonyStatement sign_ceremony_statement(const SessionId& session, const StatementSlot& slot, std::string body,
                                              const Ed25519KeyPair& author_key) {
  v1::CeremonyStatement s;
  s.set_author(slot.author);
  s.set_kind(slot.kind);
  s.set_subject(slot.subject);
  const Digest digest = sha256(as_bytes(body));
  s.set_body(std::move(body));
  const auto signature = ed25519_sign(author_key, ceremony_statement_signing_bytes(session, slot, digest));
  s.set_signature(std::string(signature.begin(), signature.end()));
  return s;
}

v1::StatementDigest statement_digest(const v1::CeremonyStatement& statement) {
  v1::StatementDigest d;
  d.set_author(statement.author());
  d.set_kind(statement.kind());
  d.set_subject(statement.subject());
  const Digest digest = sha256(as_bytes(statement.body()));
  d.set_body_digest(std::string(digest.begin(), digest.end()));
  d.set_signature(statement.signature());
  return d;
}

bool verify_statement_digest(const SessionId& session, const v1::StatementDigest& d,
                             const Ed25519PublicKey& author_key) {
  if (d.body_digest().size() != 32 || d.signature().size() != 64) return false;
  Digest digest{};
  std::copy(d.body_digest().begin(), d.body_digest().end(), digest.begin());
  const StatementSlot slot{d.author(), d.kind(), d.subject()};
  return ed25519_verify(author_key, ceremony_statement_signing_bytes(session, slot, digest), as_bytes(d.signature()))
      .ok();
}

}  // namespace vigil::proto
