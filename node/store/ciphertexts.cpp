// The ciphertexts table: ciphertexts registered by clients, by digest.
#include "node/store/sqlite.h"
#include "node/store/store.h"

namespace vigil::node {

using sqlite::Statement;

Status Store::put_ciphertext(ByteSpan digest, ByteSpan body, std::int64_t now_unix_ms) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "INSERT OR IGNORE INTO ciphertexts (digest, body, registered_unix_ms) VALUES (?, ?, ?)");
  s.bind(1, digest).bind(2, body).bind(3, now_unix_ms);
  if (s.step() != SQLITE_DONE) return sqlite::error(db_, "storing ciphertext");
  return {};
}

Result<std::optional<Bytes>> Store::ciphertext(ByteSpan digest) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT body FROM ciphertexts WHERE digest = ?");
  s.bind(1, digest);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<Bytes>();
  if (rc != SQLITE_ROW) return sqlite::error(db_, "reading ciphertext");
  return std::optional<Bytes>(s.blob(0));
}

Result<std::int64_t> Store::ciphertext_count() {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT COUNT(*) FROM ciphertexts");
  if (s.step() != SQLITE_ROW) return sqlite::error(db_, "counting ciphertexts");
  return s.integer(0);
}

}  // namespace vigil::node
