// The master key every secret at rest is sealed under (node/store/store.h).
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "node/store/store.h"
#include "vigil/random.h"

namespace vigil::node {

Result<SecretBytes> load_master_key(const std::filesystem::path& data_dir) {
  std::string hex;
  if (const char* env = std::getenv("VIGIL_MASTER_KEY"); env != nullptr && *env != '\0') {
    hex = env;
  } else {
    const auto path = data_dir / "master.key";
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      return make_error(ErrorCode::kInvalidInput, "no master key: set VIGIL_MASTER_KEY or create " + path.string());
    }
    if ((st.st_mode & 077) != 0) {
      return make_error(ErrorCode::kInvalidInput, path.string() + " is readable by others; run chmod 600 on it");
    }
    std::ifstream in(path);
    std::getline(in, hex);
  }
  auto bytes = from_hex_exact(hex, 32);
  if (!bytes) return make_error(ErrorCode::kInvalidInput, "master key must be 64 hex digits");
  SecretBytes key(*bytes);
  secure_wipe(bytes->data(), bytes->size());
  secure_wipe(hex.data(), hex.size());
  return key;
}

Status create_master_key(const std::filesystem::path& data_dir) {
  SecretBytes key(32);
  system_rng().fill(key.mutable_span());
  const auto path = data_dir / "master.key";
  const std::string line = to_hex(key.span()) + "\n";
  const mode_t old = ::umask(077);
  std::ofstream out(path, std::ios::trunc);
  out << line;
  out.close();
  ::umask(old);
  if (!out) return make_error(ErrorCode::kInternal, "cannot write " + path.string());
  ::chmod(path.c_str(), 0600);
  return {};
}

}  // namespace vigil::node
