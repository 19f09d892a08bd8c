#include "internal/shamir_impl.h"

namespace vigil {

Status check_threshold(std::size_t parties, std::size_t threshold) {
  if (parties == 0) return make_error(ErrorCode::kInvalidInput, "need at least one participant (n >= 1)");
  if (parties > kMaxParticipants) {
    return make_error(ErrorCode::kInvalidInput, "n = " + std::to_string(parties) + " exceeds the maximum of " +
                                                    std::to_string(kMaxParticipants) + " participants");
  }
  if (threshold == 0) return make_error(ErrorCode::kInvalidInput, "threshold must be at least 1 (t >= 1)");
  if (threshold > parties) {
    return make_error(ErrorCode::kInvalidInput,
                      "threshold t = " + std::to_string(threshold) +
                          " exceeds the number of participants n = " + std::to_string(parties));
  }
  return {};
}

Status check_indices(std::span<const ParticipantIndex> indices) {
  std::unordered_set<ParticipantIndex> seen;
  seen.reserve(indices.size());
  for (ParticipantIndex i : indices) {
    if (i == 0)
      return make_error(ErrorCode::kInvalidInput, "participant index 0 is not allowed (indices start at 1)", 0);
    if (i > kMaxParticipants) {
      return make_error(
          ErrorCode::kInvalidInput,
          "participant index " + std::to_string(i) + " exceeds the maximum of " + std::to_string(kMaxParticipants), i);
    }
    if (!seen.insert(i).second) {
      return make_error(ErrorCode::kInvalidInput, "duplicate participant index " + std::to_string(i), i);
    }
  }
  return {};
}

VIGIL_INSTANTIATE_SHAMIR(Ristretto255)
VIGIL_INSTANTIATE_SHAMIR(Secp256k1)

}  // namespace vigil
