// The signed messages of a protected secret as they arrive from enclaves,
// requesters and peers: registrations, heartbeats, recovery requests (as
// protobuf and as the JSON file the CLI passes around) and audit entries.
// The input is fed to each decoder; the checks must refuse cleanly, and
// whatever they accept must be internally consistent.
#include <cstdlib>
#include <string>

#include "fuzz/quiet_protobuf.h"
#include "proto/audit.h"
#include "proto/protected_secrets.h"
#include "vigil/client.h"

namespace {

using vigil::ByteSpan;

// A fixed enclave key and policy digest for heartbeats (their signatures
// will not verify; everything before the signature is exercised).
const vigil::Ed25519KeyPair& enclave() {
  static const auto key = vigil::ed25519_from_seed(vigil::Bytes(32, 7)).value();
  return key;
}

template <class Message>
bool parse(ByteSpan bytes, Message& message) {
  return message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

void check_registration(ByteSpan bytes) {
  vigil::v1::Registration registration;
  if (!parse(bytes, registration)) return;
  const auto checked = vigil::proto::check_registration(registration);
  if (!checked.ok()) return;
  if (vigil::encode_policy(checked->policy) != checked->canonical_policy) std::abort();
}

void check_heartbeat(ByteSpan bytes) {
  vigil::v1::Heartbeat heartbeat;
  if (!parse(bytes, heartbeat)) return;
  const vigil::Bytes policy_digest(32, 9);
  (void)vigil::proto::check_heartbeat(heartbeat, enclave().public_key, policy_digest);
}

void check_recovery(ByteSpan bytes) {
  vigil::v1::RecoveryRequest request;
  if (parse(bytes, request)) {
    if (const auto checked = vigil::proto::check_recovery_request(request); checked.ok()) {
      if (checked->signers.size() > vigil::proto::kMaxRecoverySigners) std::abort();
    }
  }
  const std::string text(bytes.begin(), bytes.end());
  if (const auto parsed = vigil::client::parse_recovery_request_json(text); parsed.ok()) {
    const auto again = vigil::client::parse_recovery_request_json(vigil::client::recovery_request_to_json(*parsed));
    if (!again.ok() || again->signing_bytes() != parsed->signing_bytes()) std::abort();
  }
}

void check_audit(ByteSpan bytes) {
  vigil::v1::AuditEntry entry;
  if (!parse(bytes, entry)) return;
  vigil::proto::AuditChainVerifier from_start(enclave().public_key);
  (void)from_start.add(entry);
  vigil::proto::AuditChainVerifier continuing(enclave().public_key, entry.seq() - 1, vigil::proto::AuditHash{});
  if (continuing.add(entry).ok() && continuing.seq() != entry.seq()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteSpan bytes(data, size);
  check_registration(bytes);
  check_heartbeat(bytes);
  check_recovery(bytes);
  check_audit(bytes);
  return 0;
}
