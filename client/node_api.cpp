#include "client/node_api.h"

#include <google/protobuf/util/json_util.h>

namespace vigil::client {

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

std::string api_refusal(const HttpResponse& response) {
  v1::ErrorResponse e;
  if (from_json(response.body, e) && !e.message().empty()) {
    return "refused (" + std::to_string(response.status) + "): " + e.message();
  }
  return "refused (" + std::to_string(response.status) + ")";
}

Result<v1::StatusResponse> fetch_status(HttpTransport& transport, const std::string& api,
                                        std::chrono::milliseconds timeout) {
  VIGIL_ASSIGN_OR_RETURN(HttpResponse r, transport.request("GET", api + "/v1/status", "", timeout));
  if (r.status != 200) return make_error(ErrorCode::kTransport, api + ": status " + api_refusal(r));
  v1::StatusResponse s;
  if (!from_json(r.body, s)) return make_error(ErrorCode::kBadEncoding, api + ": malformed status");
  return s;
}

Status describe_key(const v1::StatusResponse& status, ClusterDescription& cluster) {
  auto curve = parse_curve_name(status.curve());
  if (!curve)
    return make_error(ErrorCode::kBadEncoding,
                      "node " + std::to_string(status.node_index()) + ": " + curve.error().message);
  cluster.curve = *curve;
  cluster.threshold = status.threshold();
  cluster.key_epoch = status.key_epoch();
  cluster.group_public_key = Bytes(status.group_public_key().begin(), status.group_public_key().end());
  cluster.public_shares.clear();
  for (const auto& p : status.public_shares()) cluster.public_shares.emplace_back(p.begin(), p.end());
  return {};
}

}  // namespace vigil::client
