// SQLite helpers shared by the store's files: prepared statements kept per
// connection and reset after each use, and errors that carry SQLite's
// message. Internal.
#pragma once

#include <sqlite3.h>

#include <string>
#include <unordered_map>

#include "vigil/bytes.h"
#include "vigil/result.h"

namespace vigil::node::sqlite {

// The error of the connection's last call, as "<what>: <SQLite's message>".
// A full disk is kResourceExhausted (clients may retry later), anything else
// kInternal. A failure of the disk or the folder beneath the database (full,
// read-only, I/O error, damaged file) is also logged, at most once per 10 s:
// an operator must act, and the requests it refuses say so only to clients.
Error error(sqlite3* db, const std::string& what);
// The same for SQLite's result code `code` and `message`.
Error error(int code, const std::string& message);
// Logs a failure to write or sync the data folder (throttled as above).
void report_storage_failure(const std::string& message);

// The prepared statements of one connection, compiled once each: the hot
// paths (a heartbeat, a gossip item) run a few short statements, and
// compiling them cost as much as running them. Keyed by the address of the
// SQL text, so only string literals may be used. Not thread-safe: the
// store's lock guards it with the connection.
class StatementCache {
 public:
  explicit StatementCache(sqlite3* db = nullptr) : db_(db) {}
  ~StatementCache() { clear(); }
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  sqlite3* db() const { return db_; }
  void attach(sqlite3* db) {
    clear();
    db_ = db;
  }
  // Finalises every statement (before the connection closes).
  void clear() {
    for (auto& [sql, entry] : entries_) sqlite3_finalize(entry.stmt);
    entries_.clear();
  }

 private:
  friend class Statement;
  struct Entry {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  sqlite3* db_;
  std::unordered_map<const char*, Entry> entries_;
};

// A prepared statement, borrowed from a cache (and reset when done) or
// compiled for one use (a statement already in use is compiled again).
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { ok_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) == SQLITE_OK; }
  Statement(StatementCache& cache, const char* sql) {
    auto& entry = cache.entries_[sql];
    if (entry.in_use) {
      ok_ = sqlite3_prepare_v2(cache.db_, sql, -1, &stmt_, nullptr) == SQLITE_OK;
      return;
    }
    if (entry.stmt == nullptr &&
        sqlite3_prepare_v3(cache.db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &entry.stmt, nullptr) != SQLITE_OK) {
      sqlite3_finalize(entry.stmt);
      entry.stmt = nullptr;
      ok_ = false;
      return;
    }
    entry.in_use = true;
    stmt_ = entry.stmt;
    borrowed_ = &entry;
    ok_ = true;
  }
  ~Statement() {
    if (borrowed_ == nullptr) {
      sqlite3_finalize(stmt_);
      return;
    }
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    borrowed_->in_use = false;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return ok_; }
  Statement& bind(int i, ByteSpan b) {
    // An empty span may have no data pointer, which SQLite would bind as
    // NULL: an empty blob is bound as one.
    static constexpr std::uint8_t kNothing = 0;
    const void* data = b.empty() ? &kNothing : b.data();
    ok_ = ok_ && sqlite3_bind_blob(stmt_, i, data, static_cast<int>(b.size()), SQLITE_TRANSIENT) == SQLITE_OK;
    return *this;
  }
  Statement& bind(int i, const std::string& text) {
    ok_ = ok_ && sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT) == SQLITE_OK;
    return *this;
  }
  Statement& bind_null(int i) {
    ok_ = ok_ && sqlite3_bind_null(stmt_, i) == SQLITE_OK;
    return *this;
  }
  Statement& bind(int i, std::int64_t v) {
    ok_ = ok_ && sqlite3_bind_int64(stmt_, i, v) == SQLITE_OK;
    return *this;
  }
  int step() { return ok_ ? sqlite3_step(stmt_) : SQLITE_ERROR; }
  Bytes blob(int col) const {
    auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, col));
    return Bytes(p, p + sqlite3_column_bytes(stmt_, col));
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string text(int col) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  StatementCache::Entry* borrowed_ = nullptr;
  bool ok_ = false;
};

}  // namespace vigil::node::sqlite
