#include "http_api.h"

#include <google/protobuf/util/json_util.h>

#include <chrono>

namespace vigil::node {
namespace {

using google::protobuf::util::JsonParseOptions;
using google::protobuf::util::JsonPrintOptions;

HttpResponse json_response(const google::protobuf::Message& m) {
  JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  HttpResponse r;
  (void)google::protobuf::util::MessageToJsonString(m, &r.body, options);
  r.body += "\n";
  return r;
}

HttpResponse from_error(const Error& e) {
  return error_response(http_status_for(e.code), error_code_name(e.code), e.message);
}

// Parses a request body; any JSON or schema problem is a 400 naming it.
template <class Message>
Result<Message> parse_body(const std::string& body) {
  Message m;
  JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(body, &m, options);
  if (!status.ok()) {
    return make_error(ErrorCode::kBadEncoding, "malformed request body: " + std::string(status.message()));
  }
  return m;
}

// A POST handler: the body parsed as Request, then `handle` (returning a
// Result of a response message) rendered as JSON or as its error.
template <class Request, class Handler>
HttpResponse answer(const std::string& body, Handler&& handle) {
  auto request = parse_body<Request>(body);
  if (!request) return from_error(request.error());
  auto response = handle(*request);
  return response ? json_response(*response) : from_error(response.error());
}

}  // namespace

unsigned http_status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidInput:
    case ErrorCode::kBadEncoding: return 400;
    case ErrorCode::kVerificationFailed: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kResourceExhausted: return 503;
    case ErrorCode::kTimeout: return 504;
    default: return 500;
  }
}

HttpResponse error_response(unsigned status, const std::string& code, const std::string& message) {
  v1::ErrorResponse e;
  e.set_error(code);
  e.set_message(message);
  HttpResponse r = json_response(e);
  r.status = status;
  return r;
}

HttpResponse ApiRouter::handle(std::string_view method, std::string_view target, const std::string& body) {
  const auto start = std::chrono::steady_clock::now();
  const std::string_view path = target.substr(0, target.find('?'));
  std::string kind = "unknown";
  HttpResponse response = dispatch(method, path, body, kind);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.record_request(kind, response.status < 400 ? "ok" : std::to_string(response.status), seconds);
  if (response.status >= 400) metrics_.record_error(std::to_string(response.status));
  return response;
}

HttpResponse ApiRouter::dispatch(std::string_view method, std::string_view path, const std::string& body,
                                 std::string& kind) {
  auto only = [&](std::string_view wanted) { return method == wanted; };
  if (path == "/healthz") {
    kind = "healthz";
    if (!only("GET")) return error_response(405, "method_not_allowed", "use GET");
    return {200, "text/plain; charset=utf-8", "ok\n"};
  }
  if (path == "/metrics") {
    kind = "metrics";
    if (!only("GET")) return error_response(405, "method_not_allowed", "use GET");
    return {200, "text/plain; version=0.0.4; charset=utf-8", metrics_.render()};
  }
  if (path == "/v1/status") {
    kind = "status";
    if (!only("GET")) return error_response(405, "method_not_allowed", "use GET");
    return json_response(service_.status());
  }
  if (path == "/v1/ciphertexts") {
    kind = "register_ciphertext";
    if (!only("POST")) return error_response(405, "method_not_allowed", "use POST");
    if (!service_.has_key()) return error_response(503, "unavailable", "this node holds no key yet");
    return answer<v1::RegisterCiphertextRequest>(body, [&](const auto& r) { return service_.register_ciphertext(r); });
  }
  if (path == "/v1/decryption-shares") {
    kind = "decryption_share";
    if (!only("POST")) return error_response(405, "method_not_allowed", "use POST");
    if (!service_.has_key()) return error_response(503, "unavailable", "this node holds no key yet");
    return answer<v1::DecryptionRequest>(body, [&](const auto& r) {
      auto response = service_.decryption_share(r);
      if (response) metrics_.share_issued();
      return response;
    });
  }
  if (path == "/v1/ceremonies" && ceremonies_ != nullptr) {
    kind = "start_ceremony";
    if (!only("POST")) return error_response(405, "method_not_allowed", "use POST");
    return answer<v1::StartCeremonyRequest>(body, [&](const auto& r) { return ceremonies_->start(r); });
  }
  return error_response(404, "not_found", "no such endpoint: " + std::string(path));
}

}  // namespace vigil::node
