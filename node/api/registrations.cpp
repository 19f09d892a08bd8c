// /v1/registrations: an enclave protects a secret under a release policy.
//   POST Registration -> RegistrationResponse: the node checks the enclave's
//        signature, the policy and the ciphertext before it keeps it.
//   GET  ?key_id=<64 hex digits> -> Registration: the signed registration as
//        the node holds it (self-authenticating: a client checks the
//        signature and the key id itself).
#include "node/api/json_body.h"
#include "node/api/resources.h"

namespace vigil::node::api {

HttpResponse registrations(std::string_view method, std::string_view query, const std::string& body,
                           DecryptionService& service) {
  if (method == "GET") {
    auto hex = query_value(query, "key_id");
    if (!hex) return error_response(400, "bad_encoding", "key_id: missing (?key_id=<64 hex digits>)");
    auto key_id = from_hex_exact(*hex, 32);
    if (!key_id) return error_response(400, "bad_encoding", "key_id: expected 64 hex digits");
    auto registration = service.registration(*key_id);
    return registration ? json_response(*registration) : from_error(registration.error());
  }
  if (method != "POST") return method_not_allowed("GET or POST");
  return answer_post_with_key<v1::Registration>(method, body, service.has_key(),
                                                [&](const auto& r) { return service.register_secret(r); });
}

}  // namespace vigil::node::api
