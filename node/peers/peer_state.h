#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "vigil/shamir.h"

namespace vigil::node {

// What a node knows of a peer link, for status and metrics.
struct PeerState {
  ParticipantIndex index = 0;
  bool connected = false;
  std::int64_t last_seen_unix_ms = 0;
  std::optional<std::int64_t> clock_offset_ms;            // its clock minus ours, from its latest ping
  std::chrono::steady_clock::time_point clock_read_at{};  // when that ping came
  std::optional<std::int64_t> round_trip_us;              // from our latest ping to its pong
};

}  // namespace vigil::node
