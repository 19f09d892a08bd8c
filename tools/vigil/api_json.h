// The nodes' client API speaks the protobuf messages' JSON mapping: encoding
// requests, decoding responses, and the ErrorResponse of a refusal.
#pragma once

#include <google/protobuf/message.h>

#include <string>

#include "http_client.h"

namespace vigil::cli {

std::string to_json(const google::protobuf::Message& message);
// Fields this client does not know (a newer node) are ignored.
bool from_json(const std::string& json, google::protobuf::Message& message);
// "refused (403): <the node's message>" from an error response.
std::string api_refusal(const HttpResult& response);

}  // namespace vigil::cli
