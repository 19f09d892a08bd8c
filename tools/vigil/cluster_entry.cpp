#include "cluster_entry.h"

namespace vigil::cli {

bool is_wildcard(const node::Endpoint& e) { return e.host == "0.0.0.0" || e.host == "::" || e.host == "[::]"; }

Result<NodeEntry> parse_node_entry(const nlohmann::json& j) {
  auto bad = [](const std::string& why) { return make_error(ErrorCode::kBadEncoding, why); };
  if (!j.is_object()) return bad("a node must be a JSON object");
  if (!j.contains("index") || !j["index"].is_number_unsigned() || j["index"].get<std::uint64_t>() == 0 ||
      j["index"].get<std::uint64_t>() > kMaxParticipants) {
    return bad("index: expected a whole number from 1 to " + std::to_string(kMaxParticipants));
  }
  NodeEntry e;
  e.index = static_cast<ParticipantIndex>(j["index"].get<std::uint64_t>());
  const std::string who = "node " + std::to_string(e.index);
  if (!j.contains("peer") || !j["peer"].is_string()) return bad(who + ": peer: expected \"host:port\"");
  auto peer = node::parse_endpoint(j["peer"].get<std::string>());
  if (!peer) return bad(who + ": peer: " + peer.error().message);
  if (is_wildcard(*peer) || peer->port == 0) {
    return bad(who + ": peer " + peer->to_string() + " is not an address other nodes can dial");
  }
  e.peer = *peer;
  auto identity = j.contains("identity") && j["identity"].is_string()
                      ? from_hex_exact(j["identity"].get<std::string>(), 32)
                      : Result<Bytes>(make_error(ErrorCode::kBadEncoding, "missing"));
  if (!identity) return bad(who + ": identity: expected 64 hex digits");
  std::copy(identity->begin(), identity->end(), e.identity.begin());
  auto share_key = ed25519_public_to_x25519(e.identity);
  if (!share_key) return bad(who + ": identity: not an Ed25519 public key");
  e.share_key = *share_key;
  if (j.contains("share_key") &&
      (!j["share_key"].is_string() || j["share_key"].get<std::string>() != to_hex(e.share_key))) {
    return bad(who + ": share_key is not the identity's own (it derives from the identity; remove it or fix it)");
  }
  return e;
}

}  // namespace vigil::cli
