// The ceremonies and ceremony_events tables: each DKG or resharing this node
// accepted, its sealed seed, its journal of inputs, and its outcome.
#include <spdlog/spdlog.h>

#include <limits>
#include <utility>
#include <vector>

#include "node/store/sqlite.h"
#include "node/store/store.h"
#include "vigil/byte_writer.h"

namespace vigil::node {
namespace {

Bytes seed_context(ByteSpan session_id) {
  ByteWriter w;
  w.field("vigil/v1/store/ceremony-seed").field(session_id);
  return w.take();
}

}  // namespace

using sqlite::Statement;

Status Store::begin_ceremony(ByteSpan session_id, ByteSpan request, const SecretBytes& seed, std::int64_t now_unix_ms) {
  VIGIL_ASSIGN_OR_RETURN(Bytes sealed, seal_at_rest(seed.span(), seed_context(session_id)));
  const Durable lock(*this);
  Statement s(*statements_,
              "INSERT INTO ceremonies (session_id, request, sealed_seed, accepted_unix_ms, state) VALUES (?, ?, ?, ?, "
              "'running')");
  s.bind(1, session_id).bind(2, request).bind(3, sealed).bind(4, now_unix_ms);
  if (s.step() != SQLITE_DONE) {
    if (sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_PRIMARYKEY) {
      return make_error(ErrorCode::kInvalidInput, "this session id was already used");
    }
    return sqlite::error(db_, "storing ceremony");
  }
  return {};
}

Status Store::append_ceremony_event(ByteSpan session_id, std::int64_t seq, ByteSpan event) {
  const Durable lock(*this, /*wait=*/false);  // made durable by sync_journal()
  Statement s(*statements_, "INSERT INTO ceremony_events (session_id, seq, event) VALUES (?, ?, ?)");
  s.bind(1, session_id).bind(2, seq).bind(3, event);
  if (s.step() != SQLITE_DONE) return sqlite::error(db_, "journaling ceremony event");
  return {};
}

Status Store::sync_journal() {
  wait_durable(commits_.load());
  return {};
}

Result<std::optional<StoredCeremony>> Store::latest_ceremony() {
  const Durable lock(*this);
  Statement s(*statements_,
              "SELECT session_id, request, sealed_seed, accepted_unix_ms, state, error, finished_unix_ms, outcome "
              "FROM ceremonies "
              "ORDER BY accepted_unix_ms DESC, rowid DESC LIMIT 1");
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<StoredCeremony>();
  if (rc != SQLITE_ROW) return sqlite::error(db_, "reading ceremony");
  const Bytes session = s.blob(0);
  StoredCeremony c;
  c.request = s.blob(1);
  c.accepted_unix_ms = s.integer(3);
  c.state = s.text(4);
  if (c.state == "running" || c.state == "awaiting") {  // a finished ceremony's seed is erased
    VIGIL_ASSIGN_OR_RETURN(c.seed, open_at_rest(s.blob(2), seed_context(session), "ceremony seed"));
  }
  c.error = s.text(5);
  c.finished_unix_ms = s.integer(6);
  c.outcome = s.blob(7);
  Statement e(*statements_, "SELECT event FROM ceremony_events WHERE session_id = ? ORDER BY seq");
  e.bind(1, session);
  int erc;
  while ((erc = e.step()) == SQLITE_ROW) c.events.push_back(e.blob(0));
  if (erc != SQLITE_DONE) return sqlite::error(db_, "reading ceremony events");
  return std::optional<StoredCeremony>(std::move(c));
}

Status Store::await_certificate(ByteSpan session_id, const std::string& error, std::int64_t now_unix_ms) {
  const Durable lock(*this);
  Statement u(*statements_,
              "UPDATE ceremonies SET state = 'awaiting', error = ?, finished_unix_ms = ? WHERE session_id = ?");
  u.bind(1, error).bind(2, now_unix_ms).bind(3, session_id);
  if (u.step() != SQLITE_DONE || sqlite3_changes(db_) != 1) return sqlite::error(db_, "recording ceremony state");
  return {};
}

Status Store::finish_ceremony(ByteSpan session_id, const v1::CeremonyStatus& outcome,
                              const std::optional<v1::StoredKey>& key, bool erase_keys) {
  const std::int64_t now_unix_ms = outcome.finished_unix_ms();
  const Durable lock(*this);
  const Status done = in_transaction([&]() -> Status {
    if (key) VIGIL_RETURN_IF_ERROR(insert_key(*key, now_unix_ms));
    if (erase_keys) {
      Statement d(*statements_, "DELETE FROM key_shares WHERE epoch < ?");
      d.bind(1, key ? static_cast<std::int64_t>(key->epoch()) : std::numeric_limits<std::int64_t>::max());
      if (d.step() != SQLITE_DONE) return sqlite::error(db_, "erasing old key shares");
    }
    // The seed determines this node's dealing polynomial (in a resharing,
    // whose constant term is its old share): it goes with the ceremony.
    Statement u(*statements_,
                "UPDATE ceremonies SET state = ?, error = ?, finished_unix_ms = ?, outcome = ?, sealed_seed = x'' "
                "WHERE session_id = ?");
    u.bind(1, outcome.state())
        .bind(2, outcome.error())
        .bind(3, now_unix_ms)
        .bind(4, as_bytes(outcome.SerializeAsString()))
        .bind(5, session_id);
    if (u.step() != SQLITE_DONE || sqlite3_changes(db_) != 1) return sqlite::error(db_, "recording ceremony outcome");
    Statement j(*statements_, "DELETE FROM ceremony_events WHERE session_id = ?");
    j.bind(1, session_id);
    if (j.step() != SQLITE_DONE) return sqlite::error(db_, "dropping ceremony journal");
    return {};
  });
  if (!done) return done;
  // The ceremony has ended and its key is stored: a truncation that fails
  // only leaves the erased values in the log until the next one succeeds.
  if (auto truncated = forget_deleted(); !truncated) {
    spdlog::error("storage: {} (the erased key shares and seed stay in the write-ahead log until then)",
                  truncated.error().message);
  }
  return {};
}

Result<int> Store::reseal_seeds(const SecretBytes& next) {
  // Only a running or awaiting ceremony still has a seed.
  std::vector<std::pair<Bytes, Bytes>> rows;
  Statement s(*statements_, "SELECT session_id, sealed_seed FROM ceremonies WHERE length(sealed_seed) > 0");
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) rows.emplace_back(s.blob(0), s.blob(1));
  if (rc != SQLITE_DONE) return sqlite::error(db_, "reading ceremony seeds");
  for (const auto& [session, sealed] : rows) {
    VIGIL_ASSIGN_OR_RETURN(Bytes resealed, reseal(sealed, seed_context(session), next, "ceremony seed"));
    Statement u(*statements_, "UPDATE ceremonies SET sealed_seed = ? WHERE session_id = ?");
    u.bind(1, resealed).bind(2, session);
    if (u.step() != SQLITE_DONE) return sqlite::error(db_, "re-sealing ceremony seed");
  }
  return static_cast<int>(rows.size());
}

}  // namespace vigil::node
