// POST /v1/recoveries: RecoveryRequest -> RecoveryResponse, decided by
// DecryptionService::recover (node/release/decryption_service.h). A refusal
// is an ErrorResponse whose `error` is the stable refusal code: 404 for
// unknown_key, 403 for the others.
#include "node/api/json_body.h"
#include "node/api/resources.h"

namespace vigil::node::api {

HttpResponse recoveries(std::string_view method, const std::string& body, DecryptionService& service,
                        Metrics& metrics) {
  if (method != "POST") return method_not_allowed("POST");
  if (!service.has_key()) return error_response(503, "unavailable", "this node holds no key yet");
  v1::RecoveryRequest request;
  if (auto parsed = parse_body(body, request); !parsed) return from_error(parsed.error());
  auto outcome = service.recover(request);
  if (!outcome) return from_error(outcome.error());
  if (!outcome->granted) {
    return error_response(outcome->refusal == "unknown_key" ? 404 : 403, outcome->refusal, outcome->why);
  }
  metrics.share_issued();
  return json_response(*outcome->granted);
}

}  // namespace vigil::node::api
