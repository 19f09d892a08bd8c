// SQLite helpers shared by the store's files: prepared statements that
// finalise themselves and errors that carry SQLite's message. Internal.
#pragma once

#include <sqlite3.h>

#include <string>

#include "vigil/bytes.h"
#include "vigil/result.h"

namespace vigil::node::sqlite {

inline Error error(sqlite3* db, const std::string& what) {
  return make_error(ErrorCode::kInternal, what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

// A prepared statement that finalises itself.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { ok_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) == SQLITE_OK; }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return ok_; }
  Statement& bind(int i, ByteSpan b) {
    ok_ = ok_ && sqlite3_bind_blob(stmt_, i, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT) == SQLITE_OK;
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
  bool ok_;
};

}  // namespace vigil::node::sqlite
