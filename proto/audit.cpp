#include "proto/audit.h"

#include "vigil/byte_writer.h"
#include "vigil/hash.h"

namespace vigil::proto {

Bytes audit_signing_bytes(const v1::AuditEntry& e) {
  ByteWriter w;
  w.field("vigil/v1/audit-entry")
      .u64(e.seq())
      .field(e.previous())
      .u64(static_cast<std::uint64_t>(e.unix_ms()))
      .field(e.key_id())
      .field(e.request_digest())
      .field(e.outcome())
      .field(e.detail())
      .u32(static_cast<std::uint32_t>(e.signers_size()));
  for (const auto& s : e.signers()) w.field(s);
  return w.take();
}

AuditHash audit_entry_hash(const v1::AuditEntry& entry) { return sha256(audit_signing_bytes(entry)); }

void sign_audit_entry(v1::AuditEntry& entry, const Ed25519KeyPair& node) {
  const auto signature = ed25519_sign(node, audit_signing_bytes(entry));
  entry.set_signature(std::string(signature.begin(), signature.end()));
}

Status AuditChainVerifier::add(const v1::AuditEntry& e) {
  const auto bad = [&](const std::string& why) {
    return make_error(ErrorCode::kVerificationFailed, "audit entry " + std::to_string(e.seq()) + ": " + why);
  };
  if (e.seq() != seq_ + 1) return bad("expected entry " + std::to_string(seq_ + 1) + " here (missing or reordered)");
  if (!std::ranges::equal(as_bytes(e.previous()), head_)) {
    return bad("does not name the hash of entry " + std::to_string(seq_) + " (an entry before it was changed)");
  }
  if (e.key_id().size() != 32 || e.request_digest().size() != 32) return bad("key_id and request_digest are 32 bytes");
  if (e.outcome().empty()) return bad("no outcome");
  for (const auto& s : e.signers()) {
    if (s.size() != 32) return bad("a signer key is not 32 bytes");
  }
  if (e.signature().size() != 64 || !ed25519_verify(node_, audit_signing_bytes(e), as_bytes(e.signature()))) {
    return bad("the node's signature does not verify (the entry was changed)");
  }
  seq_ = e.seq();
  head_ = audit_entry_hash(e);
  return {};
}

}  // namespace vigil::proto
