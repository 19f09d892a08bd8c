// RecoveryRequest (vigil/client.h): the bytes its signers sign, and its
// JSON, which is the API's body for POST /v1/recoveries.
#include "client/node_api.h"
#include "proto/protected_secrets.h"
#include "vigil/dcap.h"

namespace vigil::client {
namespace {

v1::RecoveryRequest to_proto(const RecoveryRequest& r) {
  v1::RecoveryRequest m;
  m.set_key_id(as_string(r.key_id));
  m.set_response_key(as_string(r.response_key));
  m.set_nonce(as_string(r.nonce));
  m.set_expires_at_unix_ms(r.expires_at_unix_ms);
  m.set_key_epoch(r.key_epoch);
  for (const auto& [key, signature] : r.signatures) {
    auto* s = m.add_signatures();
    s->set_key(as_string(key));
    s->set_signature(as_string(signature));
  }
  m.set_quote(as_string(r.quote));
  return m;
}

template <std::size_t N>
Status copy_exact(const std::string& from, std::array<std::uint8_t, N>& to, const std::string& field) {
  if (from.size() != N) return make_error(ErrorCode::kBadEncoding, field + ": must be " + std::to_string(N) + " bytes");
  std::copy(from.begin(), from.end(), to.begin());
  return {};
}

}  // namespace

Bytes RecoveryRequest::signing_bytes() const {
  return proto::recovery_request_signing_bytes(key_id, response_key, nonce, expires_at_unix_ms, key_epoch);
}

void RecoveryRequest::sign(const Ed25519KeyPair& requester) {
  std::erase_if(signatures, [&](const auto& s) { return s.first == requester.public_key; });
  signatures.emplace_back(requester.public_key, ed25519_sign(requester, signing_bytes()));
}

std::string recovery_request_to_json(const RecoveryRequest& request) { return to_json(to_proto(request)); }

Result<RecoveryRequest> parse_recovery_request_json(std::string_view text) {
  if (text.size() > kMaxRecoveryRequestJsonBytes) {
    return make_error(ErrorCode::kBadEncoding,
                      "recovery request: larger than " + std::to_string(kMaxRecoveryRequestJsonBytes) + " bytes");
  }
  v1::RecoveryRequest m;
  if (!from_json(std::string(text), m)) return make_error(ErrorCode::kBadEncoding, "not a recovery request (JSON)");
  RecoveryRequest r;
  VIGIL_RETURN_IF_ERROR(copy_exact(m.key_id(), r.key_id, "key_id"));
  VIGIL_RETURN_IF_ERROR(copy_exact(m.response_key(), r.response_key, "response_key"));
  if (m.nonce().size() < proto::kMinNonceBytes || m.nonce().size() > proto::kMaxNonceBytes) {
    return make_error(ErrorCode::kBadEncoding, "nonce: must be 16 to 64 bytes");
  }
  r.nonce.assign(m.nonce().begin(), m.nonce().end());
  r.expires_at_unix_ms = m.expires_at_unix_ms();
  r.key_epoch = m.key_epoch();
  if (static_cast<std::size_t>(m.signatures_size()) > proto::kMaxRecoverySigners) {
    return make_error(ErrorCode::kBadEncoding, "signatures: at most " + std::to_string(proto::kMaxRecoverySigners));
  }
  for (int i = 0; i < m.signatures_size(); ++i) {
    const std::string field = "signatures[" + std::to_string(i) + "]";
    auto& [key, signature] = r.signatures.emplace_back();
    VIGIL_RETURN_IF_ERROR(copy_exact(m.signatures(i).key(), key, field + ".key"));
    VIGIL_RETURN_IF_ERROR(copy_exact(m.signatures(i).signature(), signature, field + ".signature"));
  }
  if (m.quote().size() > dcap::kMaxQuoteBytes) {
    return make_error(ErrorCode::kBadEncoding, "quote: more than " + std::to_string(dcap::kMaxQuoteBytes) + " bytes");
  }
  r.quote.assign(m.quote().begin(), m.quote().end());
  return r;
}

}  // namespace vigil::client
