// POST /v1/ciphertexts: RegisterCiphertextRequest -> RegisterCiphertextResponse.
// The node checks the ciphertext's validity proof before it keeps it.
#include "node/api/json_body.h"
#include "node/api/resources.h"

namespace vigil::node::api {

HttpResponse ciphertexts(std::string_view method, const std::string& body, DecryptionService& service) {
  return answer_post_with_key<v1::RegisterCiphertextRequest>(
      method, body, service.has_key(), [&](const auto& r) { return service.register_ciphertext(r); });
}

}  // namespace vigil::node::api
