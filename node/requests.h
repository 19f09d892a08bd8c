// Signed decryption requests: the exact bytes a requester signs, so that the
// JSON a relay carries cannot be altered without breaking the signature.
#pragma once

#include "vigil/ed25519.h"
#include "vigil/v1/node.pb.h"

namespace vigil::node {

inline constexpr std::size_t kMinRequestIdBytes = 16, kMaxRequestIdBytes = 64;

// Length-prefixed fields under a domain tag: digest, response key, request
// id, nonce, expiry, requester key, key epoch.
Bytes decryption_request_signing_bytes(const v1::DecryptionRequest& request);

// Sets requester_key and signature.
void sign_decryption_request(v1::DecryptionRequest& request, const Ed25519KeyPair& requester);

// Field sizes (kBadEncoding) and the signature (kVerificationFailed).
Status check_decryption_request(const v1::DecryptionRequest& request);

}  // namespace vigil::node
