#include "client/node_api.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <thread>

#include "vigil/shamir.h"

namespace vigil::client {

std::string to_json(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;  // as the nodes write it and docs/api.md shows it
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

bool from_json(const std::string& text, google::protobuf::Message& message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  return google::protobuf::util::JsonStringToMessage(text, &message, options).ok();
}

std::string api_refusal(const HttpResponse& response) {
  v1::ErrorResponse e;
  if (from_json(response.body, e) && !e.message().empty()) {
    return "refused (" + std::to_string(response.status) + "): " + e.message();
  }
  return "refused (" + std::to_string(response.status) + ")";
}

NodeProblem node_refusal(ParticipantIndex index, const HttpResponse& response) {
  v1::ErrorResponse e;
  const bool parsed = from_json(response.body, e);
  NodeProblem p{index, "", parsed && !e.error().empty() ? e.error() : "http_" + std::to_string(response.status)};
  p.problem = parsed && !e.message().empty() ? p.code + ": " + e.message() : api_refusal(response);
  return p;
}

Result<HttpResponse> request_unless_busy(HttpTransport& transport, std::string_view method, const std::string& url,
                                         const std::string& body, std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  std::chrono::milliseconds pause{50};
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    auto r = transport.request(method, url, body, std::max(left, std::chrono::milliseconds(1)));
    if (!r || r->status != 503) return r;
    v1::ErrorResponse e;
    if (!from_json(r->body, e) || e.error() != "busy" || Clock::now() + pause >= deadline) return r;
    std::this_thread::sleep_for(pause);
    pause = std::min(2 * pause, std::chrono::milliseconds(1000));
  }
}

Result<v1::StatusResponse> fetch_status(HttpTransport& transport, const std::string& api,
                                        std::chrono::milliseconds timeout) {
  VIGIL_ASSIGN_OR_RETURN(HttpResponse r, request_unless_busy(transport, "GET", api + "/v1/status", "", timeout));
  if (r.status != 200) return make_error(ErrorCode::kTransport, api + ": status " + api_refusal(r));
  v1::StatusResponse s;
  if (!from_json(r.body, s)) return make_error(ErrorCode::kBadEncoding, api + ": malformed status");
  return s;
}

namespace {

// A reported key must be one key: the commitments (exactly `threshold`)
// decode, the first is the group key, and every public share lies on them.
// Otherwise a node that lies about them would make honest nodes' valid
// shares look invalid.
template <Curve C>
Status check_reported_key(const v1::StatusResponse& s) {
  std::vector<Element<C>> elements;
  for (const auto& c : s.commitments()) {
    VIGIL_ASSIGN_OR_RETURN(Element<C> e, Element<C>::decode(as_bytes(c)));
    elements.push_back(e);
  }
  VIGIL_ASSIGN_OR_RETURN(auto commitment, FeldmanCommitment<C>::create(std::move(elements), s.threshold()));
  VIGIL_ASSIGN_OR_RETURN(Element<C> group_key, Element<C>::decode(as_bytes(s.group_public_key())));
  if (!(commitment.group_public_key() == group_key)) {
    return make_error(ErrorCode::kVerificationFailed, "its group key is not its first commitment");
  }
  for (int i = 0; i < s.public_shares_size(); ++i) {
    const auto index = static_cast<ParticipantIndex>(i + 1);
    auto share = Element<C>::decode(as_bytes(s.public_shares(i)));
    if (!share || !commitment.verify_public_share(index, *share)) {
      return make_error(ErrorCode::kVerificationFailed,
                        "its public share " + std::to_string(index) + " does not match its commitments");
    }
  }
  return {};
}

}  // namespace

Status describe_key(const v1::StatusResponse& status, ClusterDescription& cluster) {
  const std::string who = "node " + std::to_string(status.node_index());
  auto curve = parse_curve_name(status.curve());
  if (!curve) return make_error(ErrorCode::kBadEncoding, who + ": " + curve.error().message);
  if (!status.group_public_key().empty()) {
    auto checked = visit_curve(*curve, [&](auto c) { return check_reported_key<decltype(c)>(status); });
    if (!checked)
      return make_error(checked.error().code, who + " reports an inconsistent key: " + checked.error().message);
  }
  cluster.curve = *curve;
  cluster.threshold = status.threshold();
  cluster.key_epoch = status.key_epoch();
  cluster.group_public_key = Bytes(status.group_public_key().begin(), status.group_public_key().end());
  cluster.public_shares.clear();
  for (const auto& p : status.public_shares()) cluster.public_shares.emplace_back(p.begin(), p.end());
  return {};
}

}  // namespace vigil::client
