// A node's audit chain: one signed entry per decision on a recovery
// request, each naming the hash of the one before, so that an entry changed,
// dropped or moved breaks the chain. The signed bytes are documented in
// proto/README.md ("Audit entry").
#pragma once

#include <array>
#include <cstdint>

#include "vigil/bytes.h"
#include "vigil/ed25519.h"
#include "vigil/v1/node.pb.h"

namespace vigil::proto {

using AuditHash = std::array<std::uint8_t, 32>;

// field("vigil/v1/audit-entry") u64(seq) field(previous) u64(unix_ms)
// field(key_id) field(request_digest) field(outcome) field(detail)
// u32(signer count) field(signer)...
Bytes audit_signing_bytes(const v1::AuditEntry& entry);
// SHA-256 of the signing bytes: what the next entry names as `previous`.
AuditHash audit_entry_hash(const v1::AuditEntry& entry);
void sign_audit_entry(v1::AuditEntry& entry, const Ed25519KeyPair& node);

// Checks a chain entry by entry, from its start or from an entry already
// trusted. Every error names the entry's seq and what is wrong with it.
class AuditChainVerifier {
 public:
  // A chain from its first entry.
  explicit AuditChainVerifier(const Ed25519PublicKey& node) : node_(node) {}
  // A chain that continues after entry `seq` whose hash is `hash`.
  AuditChainVerifier(const Ed25519PublicKey& node, std::uint64_t seq, const AuditHash& hash)
      : node_(node), seq_(seq), head_(hash) {}

  // The next entry: seq one above the last, `previous` the last one's hash,
  // fields of their sizes, and the node's signature. kVerificationFailed.
  Status add(const v1::AuditEntry& entry);

  std::uint64_t seq() const { return seq_; }
  const AuditHash& head() const { return head_; }

 private:
  Ed25519PublicKey node_;
  std::uint64_t seq_ = 0;
  AuditHash head_{};
};

}  // namespace vigil::proto
