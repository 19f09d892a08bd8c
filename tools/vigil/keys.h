// Key files written by `vigil keygen`: one line of hex each. The secret key
// file must not be readable by group or others.
#pragma once

#include <filesystem>
#include <string>

#include "vigil/x25519.h"

namespace vigil::cli {

Result<SecretBytes> read_secret_key_file(const std::filesystem::path& path);
Result<X25519PublicKey> parse_public_key_hex(const std::string& text, const std::string& where);

}  // namespace vigil::cli
