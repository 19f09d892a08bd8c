// A signed decryption request: the exact bytes a requester signs, so that
// the JSON a relay carries cannot be altered without breaking the signature.
// The encoding is documented in proto/README.md, with a known-answer test.
#pragma once

#include "vigil/ed25519.h"
#include "vigil/v1/node.pb.h"

namespace vigil::proto {

inline constexpr std::size_t kMinRequestIdBytes = 16, kMaxRequestIdBytes = 64;

// Under the tag "vigil/v1/decryption-request", length-prefixed: ciphertext
// digest, response key, request id, nonce; then the expiry (u64), the
// requester key (length-prefixed) and the key epoch (u32).
Bytes decryption_request_signing_bytes(const v1::DecryptionRequest& request);

// Sets requester_key and signature.
void sign_decryption_request(v1::DecryptionRequest& request, const Ed25519KeyPair& requester);

// Field sizes (kBadEncoding) and the signature (kVerificationFailed).
Status check_decryption_request(const v1::DecryptionRequest& request);

}  // namespace vigil::proto
