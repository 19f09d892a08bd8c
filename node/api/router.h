// The client API as a pure function from (method, target, body) to a
// response, so that every handler is tested without a socket (the server
// around it is node/api/http_server.h; each resource has its own file,
// node/api/resources.h):
//
//   GET  /healthz                 "ok"
//   GET  /metrics                 Prometheus text
//   GET  /v1/status               StatusResponse
//   POST /v1/registrations        Registration -> RegistrationResponse
//   GET  /v1/registrations?key_id= Registration
//   POST /v1/heartbeats           Heartbeat -> HeartbeatResponse
//   POST /v1/recoveries           RecoveryRequest -> RecoveryResponse
//   GET  /v1/audit?from=&limit=   AuditPage
//   POST /v1/ceremonies           StartCeremonyRequest -> CeremonyStatus (operators only)
//
// Bodies are the protobuf messages' JSON mapping. Errors are ErrorResponse
// JSON with 400 (malformed), 403 (refused), 404 (unknown), 405, 413, 503.
#pragma once

#include <string>
#include <string_view>

#include "node/ceremony/manager.h"
#include "node/metrics.h"
#include "node/release/decryption_service.h"

namespace vigil::node {

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  unsigned retry_after_s = 0;  // a Retry-After header when not 0
};

unsigned http_status_for(ErrorCode code);
HttpResponse error_response(unsigned status, const std::string& code, const std::string& message);

class ApiRouter {
 public:
  ApiRouter(DecryptionService& service, Metrics& metrics) : service_(service), metrics_(metrics) {}

  // Enables POST /v1/ceremonies.
  void set_ceremonies(CeremonyManager* ceremonies) { ceremonies_ = ceremonies; }

  HttpResponse handle(std::string_view method, std::string_view target, const std::string& body);
  // Whether a request is cheap enough to answer on an I/O thread: health
  // and metrics read memory only and never wait on a lock held by other
  // work. Everything else verifies signatures or proofs, computes shares,
  // touches the database or waits on a running ceremony (status), and the
  // server runs it on the work pool.
  static bool answers_inline(std::string_view method, std::string_view target);

 private:
  HttpResponse dispatch(std::string_view method, std::string_view path, std::string_view query, const std::string& body,
                        std::string& kind);

  DecryptionService& service_;
  Metrics& metrics_;
  CeremonyManager* ceremonies_ = nullptr;
};

}  // namespace vigil::node
