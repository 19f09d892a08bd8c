// Key files written by `vigil keygen`: one line of hex each. The secret key
// file must not be readable by group or others.
#pragma once

#include <filesystem>
#include <string>

#include "vigil/ed25519.h"
#include "vigil/x25519.h"

namespace vigil::cli {

Result<SecretBytes> read_secret_key_file(const std::filesystem::path& path);
// An Ed25519 key from a file holding its 32-byte seed (requester and operator keys).
Result<Ed25519KeyPair> read_signing_key_file(const std::filesystem::path& path);
Result<X25519PublicKey> parse_public_key_hex(const std::string& text, const std::string& where);

}  // namespace vigil::cli
