// The API's resources, one file each, behind ApiRouter (node/api/router.h).
// Each handler gets the method, the body and the service it speaks for, and
// answers 405 itself for a method the resource does not take.
#pragma once

#include <string>
#include <string_view>

#include "node/api/router.h"

namespace vigil::node::api {

// health.cpp: GET /healthz, GET /metrics (Prometheus text).
HttpResponse health(std::string_view method);
HttpResponse metrics(std::string_view method, const Metrics& metrics);
// status.cpp: GET /v1/status.
HttpResponse status(std::string_view method, const DecryptionService& service);
// registrations.cpp: POST /v1/registrations, GET /v1/registrations?key_id= (protected secrets).
HttpResponse registrations(std::string_view method, std::string_view query, const std::string& body,
                           DecryptionService& service);
// heartbeats.cpp: POST /v1/heartbeats (protected secrets).
HttpResponse heartbeats(std::string_view method, const std::string& body, DecryptionService& service);
// recoveries.cpp: POST /v1/recoveries (protected secrets).
HttpResponse recoveries(std::string_view method, const std::string& body, DecryptionService& service, Metrics& metrics);
// audit.cpp: GET /v1/audit?from=N&limit=L; `query` is what follows '?'.
HttpResponse audit(std::string_view method, std::string_view query, DecryptionService& service);
// ceremonies.cpp: POST /v1/ceremonies (operators only).
HttpResponse ceremonies(std::string_view method, const std::string& body, CeremonyManager& manager);

}  // namespace vigil::node::api
