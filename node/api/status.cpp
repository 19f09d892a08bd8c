// GET /v1/status: the node's index, key (curve, threshold, epoch, group key,
// public shares, commitments), peer links and latest ceremony.
#include "node/api/json_body.h"
#include "node/api/resources.h"

namespace vigil::node::api {

HttpResponse status(std::string_view method, const DecryptionService& service) {
  if (method != "GET") return method_not_allowed("GET");
  return json_response(service.status());
}

}  // namespace vigil::node::api
