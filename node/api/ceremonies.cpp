// POST /v1/ceremonies: StartCeremonyRequest -> CeremonyStatus. The plan must
// be signed by a key under [[operators]] (node/ceremony/manager.h).
#include "node/api/json_body.h"
#include "node/api/resources.h"

namespace vigil::node::api {

HttpResponse ceremonies(std::string_view method, const std::string& body, CeremonyManager& manager) {
  if (method != "POST") return method_not_allowed("POST");
  return answer<v1::StartCeremonyRequest>(body, [&](const auto& r) { return manager.start(r); });
}

}  // namespace vigil::node::api
