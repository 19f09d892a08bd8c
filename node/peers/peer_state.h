#pragma once

#include <cstdint>

#include "vigil/shamir.h"

namespace vigil::node {

// What a node knows of a peer link, for status and metrics.
struct PeerState {
  ParticipantIndex index = 0;
  bool connected = false;
  std::int64_t last_seen_unix_ms = 0;
};

}  // namespace vigil::node
