// GET /healthz: "ok" while the process serves; GET /metrics: Prometheus text.
#include "node/api/json_body.h"
#include "node/api/resources.h"

namespace vigil::node::api {

HttpResponse health(std::string_view method) {
  if (method != "GET") return method_not_allowed("GET");
  return {200, "text/plain; charset=utf-8", "ok\n"};
}

HttpResponse metrics(std::string_view method, const Metrics& metrics) {
  if (method != "GET") return method_not_allowed("GET");
  return {200, "text/plain; version=0.0.4; charset=utf-8", metrics.render()};
}

}  // namespace vigil::node::api
