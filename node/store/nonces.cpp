// The request_nonces table: every request nonce until its request expires,
// so that no signed request is served twice.
#include "node/store/sqlite.h"
#include "node/store/store.h"

namespace vigil::node {

using sqlite::Statement;

Result<bool> Store::record_nonce(ByteSpan requester, ByteSpan nonce, std::int64_t expires_unix_ms) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "INSERT OR IGNORE INTO request_nonces (requester, nonce, expires_unix_ms) VALUES (?, ?, ?)");
  s.bind(1, requester).bind(2, nonce).bind(3, expires_unix_ms);
  if (s.step() != SQLITE_DONE) return sqlite::error(db_, "recording nonce");
  return sqlite3_changes(db_) == 1;
}

Status Store::prune_nonces(std::int64_t now_unix_ms) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "DELETE FROM request_nonces WHERE expires_unix_ms < ?");
  s.bind(1, now_unix_ms);
  if (s.step() != SQLITE_DONE) return sqlite::error(db_, "pruning nonces");
  return {};
}

}  // namespace vigil::node
