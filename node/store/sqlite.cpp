#include "node/store/sqlite.h"

#include <spdlog/spdlog.h>

#include "node/logging.h"

namespace vigil::node::sqlite {

Error error(sqlite3* db, const std::string& what) {
  if (db == nullptr) return make_error(ErrorCode::kInternal, what + ": out of memory");
  return error(sqlite3_extended_errcode(db), what + ": " + sqlite3_errmsg(db));
}

Error error(int code, const std::string& message) {
  switch (code & 0xff) {
    case SQLITE_FULL: report_storage_failure(message); return make_error(ErrorCode::kResourceExhausted, message);
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: report_storage_failure(message); break;
    default: break;
  }
  return make_error(ErrorCode::kInternal, message);
}

void report_storage_failure(const std::string& message) {
  static LogThrottle throttle(std::chrono::seconds(10));
  if (const auto held_back = throttle.admit(std::chrono::steady_clock::now())) {
    spdlog::error(
        "storage: {}: requests that must be written are refused until the data folder has room and is "
        "writable; {} more such failures since the last such line",
        message, *held_back);
  }
}

}  // namespace vigil::node::sqlite
