#pragma once

struct secp256k1_context_struct;

namespace vigil::internal {

// The process-wide libsecp256k1 context, randomized once for blinding.
// Read-only after creation, so it is safe to share across threads.
const secp256k1_context_struct* secp256k1_ctx();

}  // namespace vigil::internal
