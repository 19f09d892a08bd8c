#include "node/store/store.h"

#include "node/store/migrations.h"
#include "node/store/sqlite.h"
#include "vigil/aead.h"
#include "vigil/random.h"

namespace vigil::node {

using sqlite::Statement;

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& file, SecretBytes master_key) {
  if (master_key.size() != kAeadKeyBytes) return make_error(ErrorCode::kInvalidInput, "master key must be 32 bytes");
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    Error e = sqlite::error(db, "cannot open " + file.string());
    sqlite3_close(db);
    return e;
  }
  std::unique_ptr<Store> store(new Store(db, file, std::move(master_key)));
  sqlite3_busy_timeout(db, 5000);
  // secure_delete: what the store deletes is overwritten, not left in free
  // space (with forget_deleted(), also not in the write-ahead log).
  VIGIL_RETURN_IF_ERROR(store->exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;"));
  VIGIL_RETURN_IF_ERROR(store->migrate());
  if (sqlite3_open_v2(file.c_str(), &store->journal_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    return sqlite::error(store->journal_, "cannot open the ceremony journal on " + file.string());
  }
  sqlite3_busy_timeout(store->journal_, 5000);
  char* message = nullptr;
  if (sqlite3_exec(store->journal_, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;",
                   nullptr, nullptr, &message) != SQLITE_OK) {
    sqlite3_free(message);
    return sqlite::error(store->journal_, "configuring the ceremony journal");
  }
  return store;
}

Store::~Store() {
  sqlite3_close(journal_);
  sqlite3_close(db_);
}

Status Store::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return make_error(ErrorCode::kInternal, std::string("sqlite: ") + text);
  }
  return {};
}

Status Store::in_transaction(const std::function<Status()>& body) {
  VIGIL_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
  Status done = body();
  if (done) done = exec("COMMIT");
  if (!done) (void)exec("ROLLBACK");
  return done;
}

Status Store::forget_deleted() {
  // Copies every logged page into the database (where secure_delete has
  // zeroed what was deleted) and truncates the log to nothing.
  int logged = 0, copied = 0;
  if (sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &logged, &copied) != SQLITE_OK) {
    return sqlite::error(db_, "truncating the write-ahead log (deleted values may linger in it until it succeeds)");
  }
  return {};
}

int Store::schema_version() {
  Statement s(db_, "PRAGMA user_version");
  return s.step() == SQLITE_ROW ? static_cast<int>(s.integer(0)) : -1;
}

Status Store::migrate() {
  const int current = schema_version();
  if (current > kSchemaVersion) {
    return make_error(ErrorCode::kInvalidInput, "database schema version " + std::to_string(current) +
                                                    " is newer than this vigild (" + std::to_string(kSchemaVersion) +
                                                    ")");
  }
  for (int v = current; v < kSchemaVersion; ++v) {
    const Status done = in_transaction([&]() -> Status {
      VIGIL_RETURN_IF_ERROR(exec(schema_migrations()[static_cast<std::size_t>(v)]));
      return exec(("PRAGMA user_version=" + std::to_string(v + 1)).c_str());
    });
    if (!done) return done;
  }
  return {};
}

Result<Bytes> Store::seal_at_rest(const SecretBytes& key, ByteSpan plain, ByteSpan context) {
  Bytes out(kAeadNonceBytes);
  system_rng().fill(out);
  VIGIL_ASSIGN_OR_RETURN(Bytes sealed, aead_encrypt(key.span(), out, plain, context));
  out.insert(out.end(), sealed.begin(), sealed.end());
  return out;
}

Result<SecretBytes> Store::open_at_rest(const SecretBytes& key, ByteSpan sealed, ByteSpan context, const char* what) {
  if (sealed.size() < kAeadNonceBytes) {
    return make_error(ErrorCode::kVerificationFailed, std::string("stored ") + what + " is truncated");
  }
  auto plain = aead_decrypt(key.span(), sealed.first(kAeadNonceBytes), sealed.subspan(kAeadNonceBytes), context);
  if (!plain) {
    return make_error(ErrorCode::kVerificationFailed,
                      std::string("stored ") + what + " does not open with this master key");
  }
  return std::move(plain).value();
}

Result<Bytes> Store::reseal(ByteSpan sealed, ByteSpan context, const SecretBytes& next, const char* what) const {
  auto plain = open_at_rest(sealed, context, what);
  if (plain) return seal_at_rest(next, plain->span(), context);
  // A rotation that committed but did not get to replace master.key.
  if (open_at_rest(next, sealed, context, what)) return Bytes(sealed.begin(), sealed.end());
  return plain.error();
}

Result<ResealCount> Store::reseal_under(SecretBytes next) {
  if (next.size() != kAeadKeyBytes) return make_error(ErrorCode::kInvalidInput, "master key must be 32 bytes");
  std::lock_guard lock(mutex_);
  ResealCount count;
  const Status done = in_transaction([&]() -> Status {
    VIGIL_ASSIGN_OR_RETURN(count.key_shares, reseal_keys(next));
    VIGIL_ASSIGN_OR_RETURN(count.ceremony_seeds, reseal_seeds(next));
    return {};
  });
  if (!done) return done.error();
  master_key_ = std::move(next);
  return count;
}

}  // namespace vigil::node
