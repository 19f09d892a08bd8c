// POST /v1/ciphertexts: RegisterCiphertextRequest -> RegisterCiphertextResponse.
// The node checks the ciphertext's validity proof before it keeps it.
#include "node/api/json_body.h"
#include "node/api/resources.h"

namespace vigil::node::api {

HttpResponse ciphertexts(std::string_view method, const std::string& body, DecryptionService& service) {
  if (method != "POST") return method_not_allowed("POST");
  if (!service.has_key()) return error_response(503, "unavailable", "this node holds no key yet");
  return answer<v1::RegisterCiphertextRequest>(body, [&](const auto& r) { return service.register_ciphertext(r); });
}

}  // namespace vigil::node::api
