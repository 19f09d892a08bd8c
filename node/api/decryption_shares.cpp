// POST /v1/decryption-shares: DecryptionRequest -> DecryptionResponse, the
// request checked and the share computed by DecryptionService
// (node/release/decryption_service.h), sealed to the requester's key.
#include "node/api/json_body.h"
#include "node/api/resources.h"

namespace vigil::node::api {

HttpResponse decryption_shares(std::string_view method, const std::string& body, DecryptionService& service,
                               Metrics& metrics) {
  if (method != "POST") return method_not_allowed("POST");
  if (!service.has_key()) return error_response(503, "unavailable", "this node holds no key yet");
  return answer<v1::DecryptionRequest>(body, [&](const auto& r) {
    auto response = service.decryption_share(r);
    if (response) metrics.share_issued();
    return response;
  });
}

}  // namespace vigil::node::api
