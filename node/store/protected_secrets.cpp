// The protected_secrets and releases tables: what enclaves registered, their
// newest heartbeats, and the releases this node made (node/store/store.h).
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

Result<std::optional<Bytes>> Store::release(ByteSpan request_digest) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT response FROM releases WHERE request_digest = ?");
  s.bind(1, request_digest);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<Bytes>();
  if (rc != SQLITE_ROW) return sqlite::error(db_, "reading release");
  return std::optional<Bytes>(s.blob(0));
}

Status Store::record_release(ByteSpan key_id, ByteSpan request_digest, ByteSpan response, std::uint32_t max_releases,
                             std::int64_t now_unix_ms) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    // Counted first, under the limit, so that two requests racing for the
    // last release cannot both have it.
    Statement count(
        db_, "UPDATE protected_secrets SET releases = releases + 1 WHERE key_id = ? AND (? = 0 OR releases < ?)");
    count.bind(1, key_id)
        .bind(2, static_cast<std::int64_t>(max_releases))
        .bind(3, static_cast<std::int64_t>(max_releases));
    if (count.step() != SQLITE_DONE) return sqlite::error(db_, "counting release");
    if (sqlite3_changes(db_) != 1) {
      return make_error(ErrorCode::kInvalidInput, "no release left for this key id (or it is not registered)");
    }
    Statement s(db_, "INSERT INTO releases (request_digest, key_id, response, released_unix_ms) VALUES (?, ?, ?, ?)");
    s.bind(1, request_digest).bind(2, key_id).bind(3, response).bind(4, now_unix_ms);
    if (s.step() != SQLITE_DONE) {
      if (sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return make_error(ErrorCode::kInvalidInput, "this request was already released");
      }
      return sqlite::error(db_, "recording release");
    }
    return {};
  }();
  if (!body) {
    (void)exec("ROLLBACK");
    return body;
  }
  return exec("COMMIT");
}

}  // namespace vigil::node
