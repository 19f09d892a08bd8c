// When may this node release a decryption share? Every request passes
// through a ReleasePolicy after its signature, expiry and nonce checks. The
// policy engine (dead-man's switch, m-of-k governance, attestation, time
// locks) implements this interface; until then RequesterAllowlist grants any
// requester key listed in the node's configuration.
#pragma once

#include <string>
#include <vector>

#include "node/config.h"
#include "vigil/tdh2.h"
#include "vigil/v1/node.pb.h"

namespace vigil::node {

struct ReleaseContext {
  const v1::DecryptionRequest& request;  // signature already verified
  ByteSpan ciphertext_label;             // the policy hash in vigil's use
  std::int64_t now_unix_ms;
};

class ReleasePolicy {
 public:
  virtual ~ReleasePolicy() = default;
  // kVerificationFailed with the reason when the share may not be released.
  virtual Status authorize(const ReleaseContext& context) const = 0;
};

class RequesterAllowlist final : public ReleasePolicy {
 public:
  explicit RequesterAllowlist(std::vector<RequesterConfig> requesters) : requesters_(std::move(requesters)) {}
  Status authorize(const ReleaseContext& context) const override;

 private:
  std::vector<RequesterConfig> requesters_;
};

}  // namespace vigil::node
