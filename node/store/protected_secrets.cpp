// The protected_secrets table: what enclaves registered and their newest
// heartbeats (node/store/store.h). Releases are recorded with the audit
// chain, in decisions.cpp.
#include "node/store/sqlite.h"
#include "node/store/store.h"

namespace vigil::node {

using sqlite::Statement;

Result<bool> Store::put_protected_secret(const ProtectedSecret& secret) {
  std::lock_guard lock(mutex_);
  Statement s(db_,
              "INSERT OR IGNORE INTO protected_secrets (key_id, registration, ciphertext, heartbeat_counter, "
              "heartbeat_unix_ms, heartbeat, releases) VALUES (?, ?, ?, 0, ?, x'', 0)");
  s.bind(1, secret.key_id).bind(2, secret.registration).bind(3, secret.ciphertext).bind(4, secret.heartbeat_unix_ms);
  if (s.step() != SQLITE_DONE) return sqlite::error(db_, "storing protected secret");
  if (sqlite3_changes(db_) == 1) return true;
  Statement existing(db_, "SELECT registration FROM protected_secrets WHERE key_id = ?");
  existing.bind(1, secret.key_id);
  if (existing.step() != SQLITE_ROW) return sqlite::error(db_, "reading protected secret");
  if (existing.blob(0) != secret.registration) {
    return make_error(ErrorCode::kInvalidInput, "another registration holds this key id");
  }
  return false;
}

Result<std::optional<ProtectedSecret>> Store::protected_secret(ByteSpan key_id) {
  std::lock_guard lock(mutex_);
  Statement s(db_,
              "SELECT registration, ciphertext, heartbeat_counter, heartbeat_unix_ms, heartbeat, releases "
              "FROM protected_secrets WHERE key_id = ?");
  s.bind(1, key_id);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<ProtectedSecret>();
  if (rc != SQLITE_ROW) return sqlite::error(db_, "reading protected secret");
  ProtectedSecret p;
  p.key_id.assign(key_id.begin(), key_id.end());
  p.registration = s.blob(0);
  p.ciphertext = s.blob(1);
  p.heartbeat_counter = static_cast<std::uint64_t>(s.integer(2));
  p.heartbeat_unix_ms = s.integer(3);
  p.heartbeat = s.blob(4);
  p.releases = static_cast<std::uint32_t>(s.integer(5));
  return std::optional<ProtectedSecret>(std::move(p));
}

Result<std::int64_t> Store::protected_secret_count() {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT COUNT(*) FROM protected_secrets");
  if (s.step() != SQLITE_ROW) return sqlite::error(db_, "counting protected secrets");
  return s.integer(0);
}

Result<bool> Store::record_heartbeat(ByteSpan key_id, std::uint64_t counter, std::int64_t unix_ms, ByteSpan heartbeat,
                                     const std::optional<Bytes>& replacement) {
  std::lock_guard lock(mutex_);
  // SQLite integers are signed: counters above 2^63 - 1 are refused rather
  // than wrapped into a smaller value.
  if (counter > static_cast<std::uint64_t>(INT64_MAX)) {
    return make_error(ErrorCode::kInvalidInput, "heartbeat counter above 2^63 - 1");
  }
  Statement s(db_,
              "UPDATE protected_secrets SET heartbeat_counter = ?, heartbeat_unix_ms = ?, heartbeat = ?, "
              "ciphertext = coalesce(?, ciphertext) WHERE key_id = ? AND heartbeat_counter < ?");
  s.bind(1, static_cast<std::int64_t>(counter)).bind(2, unix_ms).bind(3, heartbeat);
  if (replacement) {
    s.bind(4, *replacement);
  } else {
    s.bind_null(4);
  }
  s.bind(5, key_id).bind(6, static_cast<std::int64_t>(counter));
  if (s.step() != SQLITE_DONE) return sqlite::error(db_, "recording heartbeat");
  return sqlite3_changes(db_) == 1;
}

}  // namespace vigil::node
