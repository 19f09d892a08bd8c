#include "api_json.h"

#include <google/protobuf/util/json_util.h>

#include "vigil/v1/node.pb.h"

namespace vigil::cli {

std::string to_json(const google::protobuf::Message& message) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out);
  return out;
}

bool from_json(const std::string& json, google::protobuf::Message& message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  return google::protobuf::util::JsonStringToMessage(json, &message, options).ok();
}

std::string api_refusal(const HttpResult& response) {
  v1::ErrorResponse e;
  if (from_json(response.body, e) && !e.message().empty()) {
    return "refused (" + std::to_string(response.status) + "): " + e.message();
  }
  return "refused (" + std::to_string(response.status) + ")";
}

}  // namespace vigil::cli
