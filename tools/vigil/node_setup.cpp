#include "node_setup.h"

#include "node/provision.h"

namespace vigil::cli {

template <Curve C>
Status import_dealt_share(const std::filesystem::path& data_dir, const Ed25519KeyPair& identity,
                          const DealFile<C>& deal, ParticipantIndex index) {
  if (index == 0 || index > deal.parties()) {
    return make_error(ErrorCode::kInvalidInput, "the deal has no participant " + std::to_string(index));
  }
  const auto& entry = deal.shares[index - 1];
  if (!entry.sealed_share) {
    return make_error(ErrorCode::kInvalidInput, "share " + std::to_string(index) + " is not sealed to a node identity");
  }
  const X25519KeyPair share_key = ed25519_to_x25519(identity);
  if (entry.recipient != share_key.public_key) {
    return make_error(ErrorCode::kInvalidInput,
                      "share " + std::to_string(index) + " is sealed to another key than this node's identity");
  }
  VIGIL_ASSIGN_OR_RETURN(SecretShare<C> share,
                         open_share<C>(share_key.secret_key.span(), *entry.sealed_share, deal.commitment, index));
  std::vector<Element<C>> public_shares;
  for (const auto& s : deal.shares) public_shares.push_back(s.public_share);
  return node::import_dealt_key<C>(data_dir, deal.commitment, public_shares, share);
}

template Status import_dealt_share<Ristretto255>(const std::filesystem::path&, const Ed25519KeyPair&,
                                                 const DealFile<Ristretto255>&, ParticipantIndex);
template Status import_dealt_share<Secp256k1>(const std::filesystem::path&, const Ed25519KeyPair&,
                                              const DealFile<Secp256k1>&, ParticipantIndex);

}  // namespace vigil::cli
