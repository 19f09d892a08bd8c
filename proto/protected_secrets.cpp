#include "proto/protected_secrets.h"

#include "vigil/byte_writer.h"
#include "vigil/dcap.h"
#include "vigil/ed25519.h"
#include "vigil/hash.h"

namespace vigil::proto {

KeyId protected_key_id(ByteSpan policy_digest, ByteSpan ciphertext_digest) {
  ByteWriter w;
  w.field("vigil/v1/key-id").field(policy_digest).field(ciphertext_digest);
  return sha256(w.bytes());
}

Bytes registration_signing_bytes(ByteSpan canonical_policy, ByteSpan ciphertext_digest,
                                 std::int64_t registered_unix_ms) {
  ByteWriter w;
  w.field("vigil/v1/registration")
      .field(canonical_policy)
      .field(ciphertext_digest)
      .u64(static_cast<std::uint64_t>(registered_unix_ms));
  return w.take();
}

Bytes heartbeat_signing_bytes(ByteSpan key_id, std::uint64_t counter, std::int64_t unix_ms,
                              ByteSpan replacement_digest) {
  ByteWriter w;
  w.field("vigil/v1/heartbeat")
      .field(key_id)
      .u64(counter)
      .u64(static_cast<std::uint64_t>(unix_ms))
      .field(replacement_digest);
  return w.take();
}

Bytes recovery_request_signing_bytes(ByteSpan key_id, ByteSpan response_key, ByteSpan nonce,
                                     std::int64_t expires_at_unix_ms, std::uint32_t key_epoch) {
  ByteWriter w;
  w.field("vigil/v1/recovery-request")
      .field(key_id)
      .field(response_key)
      .field(nonce)
      .u64(static_cast<std::uint64_t>(expires_at_unix_ms))
      .u32(key_epoch);
  return w.take();
}

std::array<std::uint8_t, 64> attested_report_data(ByteSpan request_signing_bytes, ByteSpan group_public_key) {
  ByteWriter w;
  w.field("vigil/v1/attested-recovery").field(request_signing_bytes).field(group_public_key);
  const Bytes encoded = w.take();
  const Bytes digest = hash(HashFunction::kSha512, {encoded});
  std::array<std::uint8_t, 64> out{};
  std::copy(digest.begin(), digest.end(), out.begin());
  return out;
}

namespace {

Error bad(const std::string& field, const std::string& why) {
  return make_error(ErrorCode::kBadEncoding, field + ": " + why);
}

CiphertextDigest digest_of(const AnyCiphertext& ciphertext) {
  return std::visit([](const auto& ct) { return tdh2_ciphertext_digest(ct); }, ciphertext);
}

// A ciphertext message converted by its curve.
Result<AnyCiphertext> convert(const v1::Tdh2Ciphertext& message, const std::string& field) {
  auto curve = from_proto_curve(message.curve());
  if (!curve) return bad(field + ".curve", curve.error().message);
  auto converted = visit_curve(*curve, [&](auto c) -> Result<AnyCiphertext> {
    VIGIL_ASSIGN_OR_RETURN(auto ct, from_proto<decltype(c)>(message));
    return AnyCiphertext(std::move(ct));
  });
  if (!converted) return bad(field, converted.error().message);
  return converted;
}

// ... and under the policy whose digest is `label`.
Result<AnyCiphertext> convert_under(const v1::Tdh2Ciphertext& message, ByteSpan label, const std::string& field) {
  if (message.payload().size() > kMaxProtectedPayloadBytes) {
    return bad(field + ".payload", "a protected secret is at most 64 KiB");
  }
  VIGIL_ASSIGN_OR_RETURN(AnyCiphertext ct, convert(message, field));
  const bool same = std::visit([&](const auto& c) { return std::ranges::equal(ByteSpan(c.label), label); }, ct);
  if (!same) return make_error(ErrorCode::kInvalidInput, field + ".label: is not the digest of the policy");
  return ct;
}

Status verify(ByteSpan key, ByteSpan message, const std::string& signature, const std::string& field) {
  if (signature.size() != 64) return bad(field, "must be 64 bytes");
  if (!ed25519_verify(key, message, as_bytes(signature))) {
    return make_error(ErrorCode::kVerificationFailed, field + ": does not verify");
  }
  return {};
}

Bytes registration_bytes(const v1::Registration& r, const CiphertextDigest& digest) {
  return registration_signing_bytes(as_bytes(r.policy()), digest, r.registered_unix_ms());
}

Bytes heartbeat_bytes(const v1::Heartbeat& h, const std::optional<AnyCiphertext>& replacement) {
  Bytes digest;
  if (replacement) {
    const CiphertextDigest d = digest_of(*replacement);
    digest.assign(d.begin(), d.end());
  }
  return heartbeat_signing_bytes(as_bytes(h.key_id()), h.counter(), h.unix_ms(), digest);
}

}  // namespace

void sign_registration(v1::Registration& registration, const Ed25519KeyPair& enclave) {
  auto ct = convert(registration.ciphertext(), "ciphertext");
  const CiphertextDigest digest = ct ? digest_of(*ct) : CiphertextDigest{};
  registration.set_signature(as_string(ed25519_sign(enclave, registration_bytes(registration, digest))));
}

Result<CheckedRegistration> check_registration(const v1::Registration& registration) {
  CheckedRegistration out;
  out.canonical_policy.assign(registration.policy().begin(), registration.policy().end());
  auto policy = decode_policy(out.canonical_policy);
  if (!policy) return make_error(policy.error().code, "policy: " + policy.error().message);
  out.policy = std::move(policy).value();
  if (!registration.has_ciphertext()) return bad("ciphertext", "missing");
  const auto label = policy_digest(out.canonical_policy);
  VIGIL_ASSIGN_OR_RETURN(out.ciphertext, convert_under(registration.ciphertext(), label, "ciphertext"));
  const CiphertextDigest digest = digest_of(out.ciphertext);
  VIGIL_RETURN_IF_ERROR(
      verify(out.policy.enclave_key, registration_bytes(registration, digest), registration.signature(), "signature"));
  out.key_id = protected_key_id(label, digest);
  return out;
}

void sign_heartbeat(v1::Heartbeat& heartbeat, const Ed25519KeyPair& enclave) {
  std::optional<AnyCiphertext> replacement;
  if (heartbeat.has_replacement()) {
    if (auto ct = convert(heartbeat.replacement(), "replacement")) replacement = std::move(ct).value();
  }
  heartbeat.set_signature(as_string(ed25519_sign(enclave, heartbeat_bytes(heartbeat, replacement))));
}

Result<CheckedHeartbeat> check_heartbeat(const v1::Heartbeat& heartbeat, const Ed25519PublicKey& enclave_key,
                                         ByteSpan policy_digest) {
  if (heartbeat.key_id().size() != 32) return bad("key_id", "must be 32 bytes");
  if (heartbeat.counter() == 0) return make_error(ErrorCode::kInvalidInput, "counter: starts at 1");
  CheckedHeartbeat out;
  if (heartbeat.has_replacement()) {
    VIGIL_ASSIGN_OR_RETURN(out.replacement, convert_under(heartbeat.replacement(), policy_digest, "replacement"));
  }
  VIGIL_RETURN_IF_ERROR(
      verify(enclave_key, heartbeat_bytes(heartbeat, out.replacement), heartbeat.signature(), "signature"));
  return out;
}

Bytes recovery_request_signing_bytes(const v1::RecoveryRequest& r) {
  return recovery_request_signing_bytes(as_bytes(r.key_id()), as_bytes(r.response_key()), as_bytes(r.nonce()),
                                        r.expires_at_unix_ms(), r.key_epoch());
}

void add_recovery_signature(v1::RecoveryRequest& request, const Ed25519KeyPair& signer) {
  auto* s = request.add_signatures();
  s->set_key(as_string(signer.public_key));
  s->set_signature(as_string(ed25519_sign(signer, recovery_request_signing_bytes(request))));
}

Result<CheckedRecovery> check_recovery_request(const v1::RecoveryRequest& request) {
  if (request.key_id().size() != 32) return bad("key_id", "must be 32 bytes");
  if (request.response_key().size() != 32) return bad("response_key", "must be a 32-byte X25519 public key");
  if (request.nonce().size() < kMinNonceBytes || request.nonce().size() > kMaxNonceBytes) {
    return bad("nonce", "must be 16 to 64 bytes");
  }
  if (request.quote().size() > dcap::kMaxQuoteBytes) {
    return bad("quote", "more than " + std::to_string(dcap::kMaxQuoteBytes) + " bytes");
  }
  if ((request.signatures().empty() && request.quote().empty()) ||
      static_cast<std::size_t>(request.signatures_size()) > kMaxRecoverySigners) {
    return bad("signatures", "between 1 and " + std::to_string(kMaxRecoverySigners) + " (or none, with a quote)");
  }
  const Bytes bytes = recovery_request_signing_bytes(request);
  CheckedRecovery out;
  out.request_digest = sha256(bytes);
  for (int i = 0; i < request.signatures_size(); ++i) {
    const auto& s = request.signatures(i);
    const std::string field = "signatures[" + std::to_string(i) + "]";
    if (s.key().size() != 32) return bad(field + ".key", "must be a 32-byte Ed25519 public key");
    Ed25519PublicKey key{};
    std::copy(s.key().begin(), s.key().end(), key.begin());
    if (std::find(out.signers.begin(), out.signers.end(), key) != out.signers.end()) {
      return make_error(ErrorCode::kInvalidInput, field + ".key: signed twice");
    }
    VIGIL_RETURN_IF_ERROR(verify(key, bytes, s.signature(), field + ".signature"));
    out.signers.push_back(key);
  }
  return out;
}

}  // namespace vigil::proto
