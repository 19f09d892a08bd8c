// The releases and audit_log tables: every decision on a recovery request
// becomes the next entry of the node's signed audit chain, and a grant's
// release is counted and kept (for retries) in the same transaction, so the
// log never misses a release and never records one that did not happen.
#include "node/store/sqlite.h"
#include "node/store/store.h"
#include "proto/audit.h"

namespace vigil::node {

using sqlite::Statement;

namespace {}  // namespace

Result<std::optional<Bytes>> Store::release(ByteSpan request_digest, std::uint64_t* unsettled) {
  const Durable lock(*this, true, unsettled);
  Statement s(*statements_, "SELECT response FROM releases WHERE request_digest = ?");
  s.bind(1, request_digest);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<Bytes>();
  if (rc != SQLITE_ROW) return sqlite::error(db_, "reading release");
  return std::optional<Bytes>(s.blob(0));
}

Result<ReleaseConflict> Store::insert_release(const Decision& d) {
  const Decision::Release& r = *d.release;
  Statement earlier(*statements_, "SELECT 1 FROM releases WHERE request_digest = ?");
  earlier.bind(1, d.request_digest);
  const int found = earlier.step();
  if (found == SQLITE_ROW) return ReleaseConflict::kAlreadyReleased;
  if (found != SQLITE_DONE) return sqlite::error(db_, "reading release");
  // Counted first, on the state it was decided on and under the limit, so
  // that neither a heartbeat that came in meanwhile nor a request racing
  // for the last release is overtaken.
  Statement count(*statements_,
                  "UPDATE protected_secrets SET releases = releases + 1 WHERE key_id = ? AND heartbeat_counter = ? "
                  "AND (? = 0 OR releases < ?)");
  count.bind(1, d.key_id)
      .bind(2, static_cast<std::int64_t>(r.heartbeat_counter))
      .bind(3, static_cast<std::int64_t>(r.max_releases))
      .bind(4, static_cast<std::int64_t>(r.max_releases));
  if (count.step() != SQLITE_DONE) return sqlite::error(db_, "counting release");
  if (sqlite3_changes(db_) != 1) return ReleaseConflict::kStateChanged;
  Statement s(
      *statements_,
      "INSERT INTO releases (request_digest, key_id, response, released_unix_ms, nonce) VALUES (?, ?, ?, ?, ?)");
  s.bind(1, d.request_digest).bind(2, d.key_id).bind(3, r.response).bind(4, d.unix_ms).bind(5, r.nonce);
  if (s.step() == SQLITE_DONE) return ReleaseConflict::kNone;
  if (sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_UNIQUE) return ReleaseConflict::kNonceUsed;
  return sqlite::error(db_, "recording release");
}

Result<RecordedDecision> Store::record_decision(const Decision& d, const Ed25519KeyPair& node) {
  const Durable lock(*this);
  RecordedDecision out;
  const Status done = in_transaction([&]() -> Status {
    if (d.release) {
      VIGIL_ASSIGN_OR_RETURN(out.conflict, insert_release(d));
      // Nothing is written: the caller decides what to record instead.
      if (out.conflict != ReleaseConflict::kNone) return make_error(ErrorCode::kInvalidInput, "release conflict");
    }
    Statement head(*statements_, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
    auto& e = out.entry;
    const int rc = head.step();
    if (rc == SQLITE_ROW) {
      e.set_seq(static_cast<std::uint64_t>(head.integer(0)) + 1);
      e.set_previous(as_string(head.blob(1)));
    } else if (rc == SQLITE_DONE) {
      e.set_seq(1);
      e.set_previous(std::string(proto::AuditHash{}.size(), '\0'));
    } else {
      return sqlite::error(db_, "reading the audit chain's head");
    }
    e.set_unix_ms(d.unix_ms);
    e.set_key_id(as_string(d.key_id));
    e.set_request_digest(as_string(d.request_digest));
    e.set_outcome(d.outcome);
    e.set_detail(d.detail);
    for (const auto& k : d.signers) e.add_signers(as_string(k));
    proto::sign_audit_entry(e, node);
    Statement s(*statements_, "INSERT INTO audit_log (seq, hash, entry) VALUES (?, ?, ?)");
    s.bind(1, static_cast<std::int64_t>(e.seq()))
        .bind(2, proto::audit_entry_hash(e))
        .bind(3, as_bytes(e.SerializeAsString()));
    if (s.step() != SQLITE_DONE) return sqlite::error(db_, "appending to the audit chain");
    return {};
  });
  if (out.conflict != ReleaseConflict::kNone) {
    out.entry.Clear();
    return out;
  }
  if (!done) return done.error();
  return out;
}

Result<std::vector<v1::AuditEntry>> Store::audit_entries(std::uint64_t from, std::size_t limit) {
  const Durable lock(*this);
  Statement s(*statements_, "SELECT entry FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?");
  s.bind(1, static_cast<std::int64_t>(std::min<std::uint64_t>(from, INT64_MAX)))
      .bind(2, static_cast<std::int64_t>(limit));
  std::vector<v1::AuditEntry> out;
  int rc = 0;
  while ((rc = s.step()) == SQLITE_ROW) {
    const Bytes body = s.blob(0);
    if (!out.emplace_back().ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      return make_error(ErrorCode::kInternal, "stored audit entry does not parse");
    }
  }
  if (rc != SQLITE_DONE) return sqlite::error(db_, "reading the audit chain");
  return out;
}

Result<AuditHead> Store::audit_head() {
  const Durable lock(*this);
  Statement s(*statements_, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
  AuditHead head;
  head.hash.assign(proto::AuditHash{}.size(), 0);
  const int rc = s.step();
  if (rc == SQLITE_ROW) {
    head.seq = static_cast<std::uint64_t>(s.integer(0));
    head.hash = s.blob(1);
  } else if (rc != SQLITE_DONE) {
    return sqlite::error(db_, "reading the audit chain's head");
  }
  return head;
}

}  // namespace vigil::node
