// The protected_secrets, gossip_cursors and node_meta tables: what enclaves registered,
// their newest heartbeats, and how far this node caught up with each peer
// (node/store/store.h). Releases are recorded with the audit
// chain, in decisions.cpp.
#include "node/store/sqlite.h"
#include "node/store/store.h"

namespace vigil::node {

using sqlite::Statement;

Result<bool> Store::put_protected_secret(const ProtectedSecret& secret) {
  const Durable lock(*this);
  Statement s(*statements_,
              "INSERT OR IGNORE INTO protected_secrets (key_id, registration, ciphertext, heartbeat_counter, "
              "heartbeat_unix_ms, heartbeat, releases, gossip_seq) VALUES (?, ?, ?, 0, ?, x'', 0, "
              "(SELECT coalesce(max(gossip_seq), 0) + 1 FROM protected_secrets))");
  s.bind(1, secret.key_id).bind(2, secret.registration).bind(3, secret.ciphertext).bind(4, secret.heartbeat_unix_ms);
  if (s.step() != SQLITE_DONE) return sqlite::error(db_, "storing protected secret");
  if (sqlite3_changes(db_) == 1) return true;
  Statement existing(*statements_, "SELECT registration FROM protected_secrets WHERE key_id = ?");
  existing.bind(1, secret.key_id);
  if (existing.step() != SQLITE_ROW) return sqlite::error(db_, "reading protected secret");
  if (existing.blob(0) != secret.registration) {
    return make_error(ErrorCode::kInvalidInput, "another registration holds this key id");
  }
  return false;
}

Result<std::optional<ProtectedSecret>> Store::protected_secret(ByteSpan key_id, std::uint64_t* unsettled) {
  const Durable lock(*this, true, unsettled);
  Statement s(*statements_,
              "SELECT registration, ciphertext, heartbeat_counter, heartbeat_unix_ms, heartbeat, releases, rotation, "
              "gossip_seq, rotation_counter FROM protected_secrets WHERE key_id = ?");
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
  p.rotation = s.blob(6);
  p.gossip_seq = static_cast<std::uint64_t>(s.integer(7));
  p.rotation_counter = static_cast<std::uint64_t>(s.integer(8));
  return std::optional<ProtectedSecret>(std::move(p));
}

Result<Changes> Store::changes_since(std::uint64_t after, std::size_t max_bytes) {
  const Durable lock(*this);
  Statement s(*statements_,
              "SELECT key_id, registration, rotation, heartbeat, gossip_seq FROM protected_secrets "
              "WHERE gossip_seq > ? ORDER BY gossip_seq LIMIT 1000");
  s.bind(1, static_cast<std::int64_t>(std::min<std::uint64_t>(after, INT64_MAX)));
  Changes out;
  out.up_to = after;
  std::size_t bytes = 0;
  int rc = 0;
  while ((rc = s.step()) == SQLITE_ROW) {
    ProtectedSecret p;
    p.key_id = s.blob(0);
    p.registration = s.blob(1);
    p.rotation = s.blob(2);
    p.heartbeat = s.blob(3);
    p.gossip_seq = static_cast<std::uint64_t>(s.integer(4));
    const std::size_t size = p.key_id.size() + p.registration.size() + p.rotation.size() + p.heartbeat.size();
    if (!out.secrets.empty() && bytes + size > max_bytes) {
      out.more = true;
      return out;
    }
    bytes += size;
    out.up_to = p.gossip_seq;
    out.secrets.push_back(std::move(p));
  }
  if (rc != SQLITE_DONE) return sqlite::error(db_, "reading changed secrets");
  out.more = out.secrets.size() == 1000;
  return out;
}

Result<Bytes> Store::gossip_sequence_id() {
  const Durable lock(*this);
  Statement s(*statements_, "SELECT value FROM node_meta WHERE name = 'gossip_sequence_id'");
  if (s.step() != SQLITE_ROW) return sqlite::error(db_, "reading the gossip sequence id");
  return s.blob(0);
}

Result<GossipCursor> Store::gossip_cursor(ParticipantIndex peer) {
  const Durable lock(*this);
  Statement s(*statements_, "SELECT seq, sequence_id FROM gossip_cursors WHERE peer = ?");
  s.bind(1, static_cast<std::int64_t>(peer));
  const int rc = s.step();
  if (rc == SQLITE_DONE) return GossipCursor{};
  if (rc != SQLITE_ROW) return sqlite::error(db_, "reading gossip cursor");
  return GossipCursor{static_cast<std::uint64_t>(s.integer(0)), s.blob(1)};
}

Status Store::set_gossip_cursor(ParticipantIndex peer, const GossipCursor& cursor) {
  const Durable lock(*this);
  Statement s(*statements_,
              "INSERT INTO gossip_cursors (peer, seq, sequence_id) VALUES (?1, ?2, ?3) ON CONFLICT (peer) DO UPDATE "
              "SET seq = CASE WHEN sequence_id = ?3 THEN max(seq, ?2) ELSE ?2 END, sequence_id = ?3");
  s.bind(1, static_cast<std::int64_t>(peer))
      .bind(2, static_cast<std::int64_t>(std::min<std::uint64_t>(cursor.seq, INT64_MAX)))
      .bind(3, cursor.sequence_id);
  if (s.step() != SQLITE_DONE) return sqlite::error(db_, "recording gossip cursor");
  return {};
}

Result<std::int64_t> Store::protected_secret_count() {
  const Durable lock(*this);
  Statement s(*statements_, "SELECT COUNT(*) FROM protected_secrets");
  if (s.step() != SQLITE_ROW) return sqlite::error(db_, "counting protected secrets");
  return s.integer(0);
}

Result<bool> Store::record_heartbeat(ByteSpan key_id, std::uint64_t counter, std::int64_t unix_ms, ByteSpan heartbeat,
                                     const std::optional<Bytes>& replacement, bool never_back) {
  const Durable lock(*this);
  // SQLite integers are signed: counters above 2^63 - 1 are refused rather
  // than wrapped into a smaller value.
  if (counter > static_cast<std::uint64_t>(INT64_MAX)) {
    return make_error(ErrorCode::kInvalidInput, "heartbeat counter above 2^63 - 1");
  }
  Statement s(*statements_,
              "UPDATE protected_secrets SET heartbeat_counter = ?1, "
              "heartbeat_unix_ms = CASE WHEN ?6 THEN max(heartbeat_unix_ms, ?2) ELSE ?2 END, heartbeat = ?3, "
              "ciphertext = coalesce(?4, ciphertext), rotation = CASE WHEN ?4 IS NULL THEN rotation ELSE ?3 END, "
              "rotation_counter = CASE WHEN ?4 IS NULL THEN rotation_counter ELSE ?1 END, "
              "gossip_seq = (SELECT max(gossip_seq) + 1 FROM protected_secrets) "
              "WHERE key_id = ?5 AND heartbeat_counter < ?1");
  s.bind(1, static_cast<std::int64_t>(counter)).bind(2, unix_ms).bind(3, heartbeat);
  if (replacement) {
    s.bind(4, *replacement);
  } else {
    s.bind_null(4);
  }
  s.bind(5, key_id).bind(6, std::int64_t{never_back ? 1 : 0});
  if (s.step() != SQLITE_DONE) return sqlite::error(db_, "recording heartbeat");
  return sqlite3_changes(db_) == 1;
}

Status Store::take_enclave_time(ByteSpan key_id, std::uint64_t counter, std::int64_t unix_ms) {
  const Durable lock(*this);
  if (counter > static_cast<std::uint64_t>(INT64_MAX)) {
    return make_error(ErrorCode::kInvalidInput, "heartbeat counter above 2^63 - 1");
  }
  Statement s(*statements_,
              "UPDATE protected_secrets SET heartbeat_unix_ms = ?3 "
              "WHERE key_id = ?1 AND heartbeat_counter = ?2 AND heartbeat_unix_ms > ?3");
  s.bind(1, key_id).bind(2, static_cast<std::int64_t>(counter)).bind(3, unix_ms);
  if (s.step() != SQLITE_DONE) return sqlite::error(db_, "recording the enclave's time");
  return {};
}

Result<bool> Store::record_late_rotation(ByteSpan key_id, std::uint64_t counter, ByteSpan heartbeat,
                                         ByteSpan replacement) {
  const Durable lock(*this);
  if (counter > static_cast<std::uint64_t>(INT64_MAX)) {
    return make_error(ErrorCode::kInvalidInput, "heartbeat counter above 2^63 - 1");
  }
  Statement s(*statements_,
              "UPDATE protected_secrets SET ciphertext = ?1, rotation = ?2, rotation_counter = ?3, "
              "gossip_seq = (SELECT max(gossip_seq) + 1 FROM protected_secrets) "
              "WHERE key_id = ?4 AND rotation_counter < ?3 AND heartbeat_counter >= ?3");
  s.bind(1, replacement).bind(2, heartbeat).bind(3, static_cast<std::int64_t>(counter)).bind(4, key_id);
  if (s.step() != SQLITE_DONE) return sqlite::error(db_, "recording rotation");
  return sqlite3_changes(db_) == 1;
}

}  // namespace vigil::node
