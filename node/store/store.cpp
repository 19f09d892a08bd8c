#include "node/store/store.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "node/store/migrations.h"
#include "node/store/sqlite.h"
#include "vigil/aead.h"
#include "vigil/random.h"

namespace vigil::node {

using sqlite::Statement;

namespace {

// Left beside the database when a sync of its log failed (wait_durable).
std::filesystem::path sync_failed_marker(const std::filesystem::path& file) { return file.string() + ".sync-failed"; }

}  // namespace

Store::Store(sqlite3* db, std::filesystem::path file, SecretBytes master_key)
    : db_(db),
      file_(std::move(file)),
      statements_(std::make_unique<sqlite::StatementCache>(db)),
      master_key_(std::move(master_key)) {}

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
  // SQLite opens a file it may not write read-only without a word; the
  // node would then start and refuse every write.
  if (sqlite3_db_readonly(db, "main") == 1) {
    auto e = make_error(ErrorCode::kInternal,
                        "cannot write " + file.string() +
                            ": the file or its folder is read-only (a read-only mount, or not writable by this user)");
    sqlite::report_storage_failure(e.message);
    return e;
  }
  sqlite3_busy_timeout(db, 5000);
  // synchronous=NORMAL: a commit writes the log without an fsync of its
  // own; Durable syncs it before any caller is answered (group commit).
  // secure_delete: what the store deletes is overwritten, not left in free
  // space (with forget_deleted(), also not in the write-ahead log).
  // (That an fsync of the log covers a commit relies on SQLite's default
  // power-safe overwrite: a commit's last frame is not padded to a sector.)
  const std::filesystem::path failed = sync_failed_marker(file);
  if (std::filesystem::exists(failed)) {
    return make_error(ErrorCode::kInternal,
                      "a sync of " + file.string() + "-wal failed earlier (" + failed.string() +
                          "): what the node answered last may not be on disk. Check the disk and the system log, "
                          "then remove that file to start again");
  }
  {
    Statement wal(db, "PRAGMA journal_mode=WAL");
    if (wal.step() != SQLITE_ROW || wal.text(0) != "wal") {
      return make_error(ErrorCode::kInternal, "cannot put " + file.string() +
                                                  " in write-ahead-log mode (a network or read-only file system?)");
    }
  }
  VIGIL_RETURN_IF_ERROR(store->exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;"));
  sqlite3_commit_hook(db, &Store::on_commit, store.get());
  {
    const Durable migrating(*store);
    VIGIL_RETURN_IF_ERROR(store->migrate());
  }
  return store;
}

Store::~Store() {
  statements_->clear();
  sqlite3_close(db_);
  if (log_fd_ >= 0) ::close(log_fd_);
}

int Store::on_commit(void* store) {
  // Called inside a statement, under mutex_, before the commit is written:
  // it is counted once the statement is done (Durable's destructor), so a
  // sync never claims a commit still being written.
  static_cast<Store*>(store)->commit_seen_ = true;
  return 0;  // let it commit
}

Store::Durable::~Durable() {
  if (store_.commit_seen_) {
    store_.commit_seen_ = false;
    store_.commits_.fetch_add(1);
  }
  const std::uint64_t commit = store_.commits_.load();
  lock_.unlock();
  if (unsettled_ != nullptr) *unsettled_ = commit;
  if (wait_) store_.wait_durable(commit);
}

void Store::wait_durable(std::uint64_t commit) {
  std::unique_lock lock(sync_mutex_);
  while (durable_ < commit) {
    if (syncing_) {
      synced_.wait(lock);  // a sync under way may not cover `commit`: look again when it ends
      continue;
    }
    syncing_ = true;
    const std::uint64_t covered = commits_.load();
    lock.unlock();
    const Status synced = sync_log();
    syncs_.fetch_add(1);
    if (!synced) {
      // The kernel may keep the pages it could not write as if they were
      // written: a restart would read them back and answer from them. The
      // marker keeps the node from starting until an operator has looked.
      const std::filesystem::path failed = sync_failed_marker(file_);
      const int fd = ::open(failed.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
      if (fd >= 0) ::close(fd);
      spdlog::critical("storage: {}; stopping rather than acknowledge what may be lost (remove {} to start again)",
                       synced.error().message, failed.string());
      std::abort();
    }
    lock.lock();
    syncing_ = false;
    durable_ = std::max(durable_, covered);
    synced_.notify_all();
  }
}

Status Store::sync_log() {
  // Called by one thread at a time (wait_durable). The log is kept open: it
  // is truncated by checkpoints but not removed while the store is open.
  if (log_fd_ < 0) {
    const std::filesystem::path wal = file_.string() + "-wal";
    log_fd_ = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC);
    if (log_fd_ < 0) {
      // Called only after a commit, which in WAL mode creates the log.
      auto failure = make_error(ErrorCode::kInternal, "cannot open " + wal.string() + ": " + std::strerror(errno));
      sqlite::report_storage_failure(failure.message);
      return failure;
    }
  }
  // The log's data and size; its times need not be durable.
  if (::fdatasync(log_fd_) != 0) {
    auto failure = make_error(ErrorCode::kInternal, "cannot sync " + file_.string() + "-wal: " + std::strerror(errno));
    sqlite::report_storage_failure(failure.message);
    return failure;
  }
  return {};
}

Status Store::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return sqlite::error(sqlite3_extended_errcode(db_), std::string("sqlite: ") + text);
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
  Statement s(*statements_, "PRAGMA user_version");
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
  const Durable lock(*this);
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
