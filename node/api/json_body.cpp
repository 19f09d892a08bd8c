#include "node/api/json_body.h"

#include <google/protobuf/util/json_util.h>

namespace vigil::node::api {

HttpResponse json_response(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions options;
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

HttpResponse method_not_allowed(const char* use) {
  return error_response(405, "method_not_allowed", std::string("use ") + use);
}

std::optional<std::string_view> query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  return std::nullopt;
}

Status parse_body(const std::string& body, google::protobuf::Message& message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(body, &message, options);
  if (!status.ok()) {
    return make_error(ErrorCode::kBadEncoding, "malformed request body: " + std::string(status.message()));
  }
  return {};
}

}  // namespace vigil::node::api

namespace vigil::node {

namespace {

// An error message may quote what the client sent (a path, a parser's view
// of the body): bytes outside printable ASCII are written as %XX, so the
// answer is always valid UTF-8 JSON that clients can parse.
std::string printable(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    }
  }
  return out;
}

}  // namespace

HttpResponse error_response(unsigned status, const std::string& code, const std::string& message) {
  v1::ErrorResponse e;
  e.set_error(code);
  e.set_message(printable(message));
  HttpResponse r = api::json_response(e);
  r.status = status;
  return r;
}

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

}  // namespace vigil::node
