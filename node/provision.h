// Setting up a node's data folder from outside the node: what `vigil init`,
// `vigil import-share` and `vigil cluster up` need, without reaching into the
// node's storage or key handling. The folder holds the node's identity
// (identity.key), its master key (master.key) and its database (vigil.db);
// the configuration format is node/config.h, reading an identity
// node/identity.h.
#pragma once

#include <filesystem>
#include <span>

#include "node/config.h"
#include "node/identity.h"
#include "vigil/ed25519.h"
#include "vigil/shamir.h"

namespace vigil::node {

// Creates the folder (mode 0700) and, where missing, the identity key and
// the master key; returns the identity, new or existing.
Result<Ed25519KeyPair> provision_data_dir(const std::filesystem::path& data_dir);

// Stores a dealt share as the node's key (epoch 1), sealed under the
// folder's master key, after checking the share and every public share
// against the commitments. `public_shares` lists X_1..X_n.
template <Curve C>
Status import_dealt_key(const std::filesystem::path& data_dir, const FeldmanCommitment<C>& commitment,
                        std::span<const Element<C>> public_shares, const SecretShare<C>& share);

}  // namespace vigil::node
