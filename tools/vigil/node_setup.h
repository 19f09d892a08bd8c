// Preparing a node's data folder: importing the share a deal sealed to the
// node's identity, sealed again at rest under the node's master key.
#pragma once

#include <filesystem>

#include "deal_file.h"
#include "vigil/ed25519.h"

namespace vigil::cli {

// Opens share `index` of `deal` with the X25519 form of `identity`, checks it
// against the deal's commitments, and stores it in `data_dir/vigil.db`.
template <Curve C>
Status import_dealt_share(const std::filesystem::path& data_dir, const Ed25519KeyPair& identity,
                          const DealFile<C>& deal, ParticipantIndex index);

}  // namespace vigil::cli
