#include "node/identity.h"

#include <sys/stat.h>

#include <fstream>

namespace vigil::node {

Result<Ed25519KeyPair> load_identity(const std::filesystem::path& data_dir) {
  const auto path = data_dir / "identity.key";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return make_error(ErrorCode::kInvalidInput,
                      "no identity key at " + path.string() + " (create one with vigil init)");
  }
  if ((st.st_mode & 077) != 0) {
    return make_error(ErrorCode::kInvalidInput, path.string() + " is readable by others; run chmod 600 on it");
  }
  // 64 hex digits and a line end; a larger file is not read at all.
  constexpr off_t kMaxIdentityFileBytes = 80;
  if (st.st_size > kMaxIdentityFileBytes) {
    return make_error(ErrorCode::kBadEncoding, path.string() + " is not an identity key file (" +
                                                   std::to_string(st.st_size) + " bytes; expected 64 hex digits)");
  }
  std::ifstream in(path);
  std::string hex;
  std::getline(in, hex);
  auto seed = from_hex_exact(hex, 32);
  secure_wipe(hex.data(), hex.size());
  if (!seed) return make_error(ErrorCode::kBadEncoding, path.string() + ": expected 64 hex digits");
  auto kp = ed25519_from_seed(*seed);
  secure_wipe(seed->data(), seed->size());
  return kp;
}

Result<Ed25519KeyPair> create_identity(const std::filesystem::path& data_dir) {
  const auto path = data_dir / "identity.key";
  if (std::filesystem::exists(path)) return make_error(ErrorCode::kInvalidInput, path.string() + " already exists");
  auto kp = ed25519_generate(system_rng());
  const mode_t old = ::umask(077);
  std::ofstream out(path);
  out << to_hex(kp.seed.span()) << "\n";
  out.close();
  ::umask(old);
  if (!out) return make_error(ErrorCode::kInternal, "cannot write " + path.string());
  ::chmod(path.c_str(), 0600);
  return kp;
}

}  // namespace vigil::node
