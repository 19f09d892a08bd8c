// The nodes' client API as the client library speaks it: the protobuf
// messages' JSON mapping over an HttpTransport. Internal to vigil (the CLI's
// ceremony coordinator uses it too); applications use vigil/client.h.
#pragma once

#include <google/protobuf/message.h>

#include <string>
#include <string_view>

#include "vigil/client.h"
#include "vigil/v1/node.pb.h"

namespace vigil::client {

std::string to_json(const google::protobuf::Message& message);
// Fields this client does not know (a newer node) are ignored.
bool from_json(const std::string& text, google::protobuf::Message& message);
// "refused (403): <the node's message>" from an error response.
std::string api_refusal(const HttpResponse& response);

// A node's error response as a NodeProblem: its stable code ("enclave_alive")
// and "<code>: <the node's message>".
NodeProblem node_refusal(ParticipantIndex index, const HttpResponse& response);

// transport.request, asked again while the node answers 503 busy (its
// admission control turned the request away before doing any of it), after
// pauses that double from 50 ms up to a second, within `timeout` in all.
Result<HttpResponse> request_unless_busy(HttpTransport& transport, std::string_view method, const std::string& url,
                                         const std::string& body, std::chrono::milliseconds timeout);

// GET <api>/v1/status.
Result<v1::StatusResponse> fetch_status(HttpTransport& transport, const std::string& api,
                                        std::chrono::milliseconds timeout);

// The key a node reports (curve, threshold, epoch, group key, public shares)
// written into `cluster`, once checked: the commitments decode, the first is
// the group key and every public share lies on them (kVerificationFailed
// naming the node otherwise); kBadEncoding for a curve this client does not
// know.
Status describe_key(const v1::StatusResponse& status, ClusterDescription& cluster);

}  // namespace vigil::client
