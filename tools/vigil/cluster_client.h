// A client of a cluster: asks nodes for sealed decryption shares and
// combines them. It asks t nodes first (rotating which, to spread load) and
// turns to the others only for those that fail, so a healthy cluster does
// the minimum work; every node that fails is reported with its reason.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "cluster_file.h"
#include "vigil/ed25519.h"
#include "vigil/tdh2.h"

namespace vigil::cli {

struct NodeProblem {
  unsigned index;
  std::string problem;  // "unreachable: ...", "refused (403): ...", "invalid share"
};

template <Curve C>
struct ClusterDecryption {
  SecretBytes plaintext;
  std::vector<unsigned> used;         // nodes whose valid shares were combined or offered
  std::vector<NodeProblem> problems;  // nodes that failed, and why
};

// The cluster's key material from cluster.json.
template <Curve C>
struct ClusterKey {
  Tdh2PublicKey<C> key;
  std::vector<Element<C>> public_shares;
  std::size_t threshold;
  std::uint32_t epoch;  // nodes refuse requests for another epoch, so shares never mix
};

template <Curve C>
Result<ClusterKey<C>> cluster_key(const ClusterFile& cluster);

template <Curve C>
Result<ClusterDecryption<C>> decrypt_with_cluster(const ClusterFile& cluster, const ClusterKey<C>& key,
                                                  const Ed25519KeyPair& requester, const Tdh2Ciphertext<C>& ciphertext,
                                                  std::chrono::milliseconds per_node_timeout, std::size_t rotation);

}  // namespace vigil::cli
