#include "policy.h"

namespace vigil::node {

Status RequesterAllowlist::authorize(const ReleaseContext& context) const {
  const auto& key = context.request.requester_key();
  for (const auto& r : requesters_) {
    if (key.size() == r.key.size() && std::equal(r.key.begin(), r.key.end(), key.begin())) return {};
  }
  return make_error(ErrorCode::kVerificationFailed, "requester key is not authorised on this node");
}

}  // namespace vigil::node
