#include "node/api/router.h"

#include <chrono>

#include "node/api/resources.h"

namespace vigil::node {

HttpResponse ApiRouter::handle(std::string_view method, std::string_view target, const std::string& body) {
  const auto start = std::chrono::steady_clock::now();
  const auto mark = target.find('?');
  const std::string_view path = target.substr(0, mark);
  const std::string_view query = mark == std::string_view::npos ? std::string_view() : target.substr(mark + 1);
  std::string kind = "unknown";
  HttpResponse response = dispatch(method, path, query, body, kind);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.record_request(kind, response.status < 400 ? "ok" : std::to_string(response.status), seconds);
  if (response.status >= 400) metrics_.record_error(std::to_string(response.status));
  return response;
}

bool ApiRouter::answers_inline(std::string_view method, std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  return method == "GET" && (path == "/healthz" || path == "/metrics");
}

HttpResponse ApiRouter::dispatch(std::string_view method, std::string_view path, std::string_view query,
                                 const std::string& body, std::string& kind) {
  // `kind` names the route in metrics.
  if (path == "/healthz") {
    kind = "healthz";
    return api::health(method);
  }
  if (path == "/metrics") {
    kind = "metrics";
    return api::metrics(method, metrics_);
  }
  if (path == "/v1/status") {
    kind = "status";
    return api::status(method, service_);
  }
  if (path == "/v1/registrations") {
    kind = "registration";
    return api::registrations(method, query, body, service_);
  }
  if (path == "/v1/heartbeats") {
    kind = "heartbeat";
    return api::heartbeats(method, body, service_);
  }
  if (path == "/v1/recoveries") {
    kind = "recovery";
    return api::recoveries(method, body, service_, metrics_);
  }
  if (path == "/v1/audit") {
    kind = "audit";
    return api::audit(method, query, service_);
  }
  if (path == "/v1/ceremonies" && ceremonies_ != nullptr) {
    kind = "start_ceremony";
    return api::ceremonies(method, body, *ceremonies_);
  }
  return error_response(404, "not_found", "no such endpoint: " + std::string(path));
}

}  // namespace vigil::node
