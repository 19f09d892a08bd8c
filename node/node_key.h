// The key a node serves: its share, the public shares of all participants
// and the TDH2 key, rebuilt and checked from the stored record at start-up.
#pragma once

#include <variant>
#include <vector>

#include "vigil/tdh2.h"
#include "vigil/v1/node.pb.h"

namespace vigil::node {

template <Curve C>
struct NodeKey {
  std::uint32_t epoch = 0;
  std::size_t threshold = 0;
  SecretShare<C> share;
  std::vector<Element<C>> public_shares;  // X_1..X_n
  FeldmanCommitment<C> commitment;
  Tdh2PublicKey<C> tdh2;

  const Element<C>& public_share() const { return public_shares[share.index - 1]; }
};

using AnyNodeKey = std::variant<NodeKey<Ristretto255>, NodeKey<Secp256k1>>;

// The record of a node's key share (its secret share is sealed by the Store).
template <Curve C>
v1::StoredKey make_key_record(std::uint32_t epoch, const FeldmanCommitment<C>& commitment,
                              std::span<const Element<C>> public_shares, const SecretShare<C>& share);

// Decodes a stored record and checks it: the share and every public share
// against the commitments. Fails naming what is wrong.
Result<AnyNodeKey> node_key_from_record(const v1::StoredKey& record);

}  // namespace vigil::node
