#include "internal/dkg_impl.h"

namespace vigil {

Status dkg_check_confirmations(const std::vector<DkgConfirmation>& confirmations) {
  std::map<ParticipantIndex, std::set<std::array<std::uint8_t, 32>>> seen;
  std::map<ParticipantIndex, std::size_t> counted;
  for (const auto& c : confirmations) {
    for (const auto& [dealer, digest] : c.dealing_digests) {
      seen[dealer].insert(digest);
      ++counted[dealer];
    }
  }
  for (const auto& [dealer, digests] : seen) {
    if (digests.size() > 1) {
      return make_error(ErrorCode::kProtocolAbort,
                        "participant " + std::to_string(dealer) + " sent different dealings to different participants",
                        dealer);
    }
    if (counted[dealer] != confirmations.size()) {
      return make_error(ErrorCode::kProtocolAbort,
                        "participants disagree on whether dealer " + std::to_string(dealer) + " qualifies", dealer);
    }
  }
  return {};
}

template class DkgParticipant<Ristretto255>;
template class DkgParticipant<Secp256k1>;

}  // namespace vigil
