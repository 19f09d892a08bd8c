// POST /v1/registrations: Registration -> RegistrationResponse. An enclave
// protects a secret under a release policy; the node checks the enclave's
// signature, the policy and the ciphertext before it keeps it.
#include "node/api/json_body.h"
#include "node/api/resources.h"

namespace vigil::node::api {

HttpResponse registrations(std::string_view method, const std::string& body, DecryptionService& service) {
  if (method != "POST") return method_not_allowed("POST");
  if (!service.has_key()) return error_response(503, "unavailable", "this node holds no key yet");
  return answer<v1::Registration>(body, [&](const auto& r) { return service.register_secret(r); });
}

}  // namespace vigil::node::api
