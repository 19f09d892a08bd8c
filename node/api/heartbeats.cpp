// POST /v1/heartbeats: Heartbeat -> HeartbeatResponse. An enclave proves it
// is alive; a refused heartbeat (unknown key id, replayed counter, clock
// too far off, bad signature) leaves the silence timer as it was.
#include "node/api/json_body.h"
#include "node/api/resources.h"

namespace vigil::node::api {

HttpResponse heartbeats(std::string_view method, const std::string& body, DecryptionService& service) {
  return answer_post_with_key<v1::Heartbeat>(method, body, service.has_key(),
                                             [&](const auto& r) { return service.take_heartbeat(r); });
}

}  // namespace vigil::node::api
