// A node's identity: one Ed25519 key, stored as 64 hex digits of seed in
// `data_dir/identity.key` (mode 0600). It authenticates the node to its peers
// (TLS) and, converted to X25519, receives the node's dealt key share.
#pragma once

#include <filesystem>

#include "vigil/ed25519.h"

namespace vigil::node {

Result<Ed25519KeyPair> load_identity(const std::filesystem::path& data_dir);
// Creates a fresh identity; fails if one exists.
Result<Ed25519KeyPair> create_identity(const std::filesystem::path& data_dir);

}  // namespace vigil::node
