#include "keys.h"

#include "files.h"

namespace vigil::cli {
namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

Result<X25519PublicKey> parse_public_key_hex(const std::string& text, const std::string& where) {
  auto bytes = from_hex_exact(trim(text), kX25519Bytes);
  if (!bytes)
    return make_error(ErrorCode::kBadEncoding,
                      where + ": not a public key file of 64 hex digits (" + bytes.error().message + ")");
  X25519PublicKey pk{};
  std::copy(bytes->begin(), bytes->end(), pk.begin());
  return pk;
}

Result<SecretBytes> read_secret_key_file(const std::filesystem::path& path) {
  std::error_code ec;
  auto perms = std::filesystem::status(path, ec).permissions();
  if (ec) return make_error(ErrorCode::kInvalidInput, "cannot read " + path.string() + ": " + ec.message());
  using std::filesystem::perms;
  if ((perms & (perms::group_all | perms::others_all)) != perms::none) {
    return make_error(ErrorCode::kInvalidInput, path.string() + " is readable by others; run chmod 600 on it");
  }
  VIGIL_ASSIGN_OR_RETURN(std::string text, read_file(path, 1024));
  auto bytes = from_hex_exact(trim(text), kX25519Bytes);
  secure_wipe(text.data(), text.size());
  if (!bytes) return make_error(ErrorCode::kBadEncoding, path.string() + ": not a vigil secret key file");
  SecretBytes key(*bytes);
  secure_wipe(bytes->data(), bytes->size());
  return key;
}

Result<Ed25519KeyPair> read_signing_key_file(const std::filesystem::path& path) {
  VIGIL_ASSIGN_OR_RETURN(SecretBytes seed, read_secret_key_file(path));
  return ed25519_from_seed(seed.span());
}

}  // namespace vigil::cli
