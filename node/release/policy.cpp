#include "node/release/policy.h"

namespace vigil::node {

Status RequesterAllowlist::authorize(const ReleaseContext& context) const {
  const ByteSpan key = as_bytes(context.request.requester_key());
  for (const auto& r : requesters_) {
    if (equal_ct(key, r.key)) return {};
  }
  return make_error(ErrorCode::kVerificationFailed, "requester key is not authorised on this node");
}

}  // namespace vigil::node
