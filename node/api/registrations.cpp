// POST /v1/registrations: Registration -> RegistrationResponse. An enclave
// protects a secret under a release policy; the node checks the enclave's
// signature, the policy and the ciphertext before it keeps it.
#include "node/api/json_body.h"
#include "node/api/resources.h"

namespace vigil::node::api {

HttpResponse registrations(std::string_view method, const std::string& body, DecryptionService& service) {
  return answer_post_with_key<v1::Registration>(method, body, service.has_key(),
                                                [&](const auto& r) { return service.register_secret(r); });
}

}  // namespace vigil::node::api
