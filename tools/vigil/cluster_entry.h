// One node's entry in a cluster description, as `vigil init` writes it
// (DATA_DIR/cluster-entry.json), `vigil describe-cluster` merges it and
// `vigil init --cluster` and `vigil deal --recipients` read it:
//   { "index": 1..kMaxParticipants, "peer": "host:port", "identity": hex, "share_key": hex }
#pragma once

#include <nlohmann/json.hpp>

#include "node/config.h"
#include "vigil/ed25519.h"

namespace vigil::cli {

struct NodeEntry {
  ParticipantIndex index = 0;
  node::Endpoint peer;
  Ed25519PublicKey identity{};
  X25519PublicKey share_key{};  // derived from the identity, never taken as given
};

// 0.0.0.0 or [::]: a listen address that is not the one peers dial.
bool is_wildcard(const node::Endpoint& e);

// Checks every field: the index in range, a peer others can dial, a valid
// identity. A "share_key", if present, must be the identity's own (a relay
// that swapped it would have a dealer seal the node's share to the relay).
// kBadEncoding naming the node and the field.
Result<NodeEntry> parse_node_entry(const nlohmann::json& j);

}  // namespace vigil::cli
