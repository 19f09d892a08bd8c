// How the API's handlers read and write bodies: the protobuf messages' JSON
// mapping, errors as ErrorResponse with the status their code maps to.
// Internal to node/api.
#pragma once

#include <google/protobuf/message.h>

#include <optional>
#include <string>
#include <string_view>

#include "node/api/router.h"

namespace vigil::node::api {

HttpResponse json_response(const google::protobuf::Message& message);
HttpResponse from_error(const Error& error);
HttpResponse method_not_allowed(const char* use);

// Parses a request body into `message`; any JSON or schema problem is
// kBadEncoding naming it (unknown fields are refused).
Status parse_body(const std::string& body, google::protobuf::Message& message);

// The value of `name` in a query string ("from=3&limit=10"), if present
// (not percent-decoded: the API's query values are numbers and hex).
std::optional<std::string_view> query_value(std::string_view query, std::string_view name);

// A POST handler: the body parsed as Request, then `handle` (returning a
// Result of a response message) rendered as JSON or as its error.
template <class Request, class Handler>
HttpResponse answer(const std::string& body, Handler&& handle) {
  Request request;
  if (auto parsed = parse_body(body, request); !parsed) return from_error(parsed.error());
  auto response = handle(request);
  return response ? json_response(*response) : from_error(response.error());
}

// A resource that takes only POST and needs the node's key: 405 for another
// method, 503 before the node holds a key, otherwise `answer`.
template <class Request, class Handler>
HttpResponse answer_post_with_key(std::string_view method, const std::string& body, bool has_key, Handler&& handle) {
  if (method != "POST") return method_not_allowed("POST");
  if (!has_key) return error_response(503, "unavailable", "this node holds no key yet");
  return answer<Request>(body, std::forward<Handler>(handle));
}

}  // namespace vigil::node::api
