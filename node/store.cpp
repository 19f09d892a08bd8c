#include "store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "vigil/aead.h"
#include "vigil/random.h"

namespace vigil::node {
namespace {

// Each entry migrates schema version i to i + 1.
const char* const kMigrations[] = {
    R"sql(
      CREATE TABLE key_shares (
        epoch INTEGER PRIMARY KEY,
        sealed BLOB NOT NULL,
        created_unix_ms INTEGER NOT NULL);
      CREATE TABLE ciphertexts (
        digest BLOB PRIMARY KEY,
        body BLOB NOT NULL,
        registered_unix_ms INTEGER NOT NULL);
      CREATE TABLE request_nonces (
        requester BLOB NOT NULL,
        nonce BLOB NOT NULL,
        expires_unix_ms INTEGER NOT NULL,
        PRIMARY KEY (requester, nonce));
      CREATE INDEX request_nonces_expiry ON request_nonces (expires_unix_ms);
    )sql",
};
static_assert(std::size(kMigrations) == kSchemaVersion);

Error sqlite_error(sqlite3* db, const std::string& what) {
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

 private:
  sqlite3_stmt* stmt_ = nullptr;
  bool ok_;
};

Bytes key_context(std::uint32_t epoch) {
  Bytes ad(as_bytes("vigil/v1/store/key-share").begin(), as_bytes("vigil/v1/store/key-share").end());
  for (int shift = 24; shift >= 0; shift -= 8) ad.push_back(static_cast<std::uint8_t>(epoch >> shift));
  return ad;
}

}  // namespace

Result<SecretBytes> load_master_key(const std::filesystem::path& data_dir) {
  std::string hex;
  if (const char* env = std::getenv("VIGIL_MASTER_KEY"); env != nullptr && *env != '\0') {
    hex = env;
  } else {
    const auto path = data_dir / "master.key";
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      return make_error(ErrorCode::kInvalidInput, "no master key: set VIGIL_MASTER_KEY or create " + path.string());
    }
    if ((st.st_mode & 077) != 0) {
      return make_error(ErrorCode::kInvalidInput, path.string() + " is readable by others; run chmod 600 on it");
    }
    std::ifstream in(path);
    std::getline(in, hex);
  }
  auto bytes = from_hex_exact(hex, 32);
  if (!bytes) return make_error(ErrorCode::kInvalidInput, "master key must be 64 hex digits");
  SecretBytes key(*bytes);
  secure_wipe(bytes->data(), bytes->size());
  secure_wipe(hex.data(), hex.size());
  return key;
}

Status create_master_key(const std::filesystem::path& data_dir) {
  SecretBytes key(32);
  system_rng().fill(key.mutable_span());
  const auto path = data_dir / "master.key";
  const std::string line = to_hex(key.span()) + "\n";
  const mode_t old = ::umask(077);
  std::ofstream out(path, std::ios::trunc);
  out << line;
  out.close();
  ::umask(old);
  if (!out) return make_error(ErrorCode::kInternal, "cannot write " + path.string());
  ::chmod(path.c_str(), 0600);
  return {};
}

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& file, SecretBytes master_key) {
  if (master_key.size() != kAeadKeyBytes) return make_error(ErrorCode::kInvalidInput, "master key must be 32 bytes");
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    Error e = sqlite_error(db, "cannot open " + file.string());
    sqlite3_close(db);
    return e;
  }
  std::unique_ptr<Store> store(new Store(db, std::move(master_key)));
  sqlite3_busy_timeout(db, 5000);
  VIGIL_RETURN_IF_ERROR(store->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  VIGIL_RETURN_IF_ERROR(store->migrate());
  return store;
}

Store::~Store() { sqlite3_close(db_); }

Status Store::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return make_error(ErrorCode::kInternal, std::string("sqlite: ") + text);
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
                                                    " is newer than this vigild (" + std::to_string(kSchemaVersion) + ")");
  }
  for (int v = current; v < kSchemaVersion; ++v) {
    VIGIL_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
    auto applied = exec(kMigrations[v]);
    if (applied) applied = exec(("PRAGMA user_version=" + std::to_string(v + 1)).c_str());
    if (!applied) {
      (void)exec("ROLLBACK");
      return applied;
    }
    VIGIL_RETURN_IF_ERROR(exec("COMMIT"));
  }
  return {};
}

Status Store::put_key(const v1::StoredKey& key, std::int64_t now_unix_ms) {
  std::string plain = key.SerializeAsString();
  Bytes nonce(kAeadNonceBytes);
  system_rng().fill(nonce);
  auto sealed = aead_encrypt(master_key_.span(), nonce, as_bytes(plain), key_context(key.epoch()));
  secure_wipe(plain.data(), plain.size());
  if (!sealed) return sealed.error();
  nonce.insert(nonce.end(), sealed->begin(), sealed->end());
  std::lock_guard lock(mutex_);
  Statement s(db_, "INSERT OR REPLACE INTO key_shares (epoch, sealed, created_unix_ms) VALUES (?, ?, ?)");
  s.bind(1, static_cast<std::int64_t>(key.epoch())).bind(2, nonce).bind(3, now_unix_ms);
  if (s.step() != SQLITE_DONE) return sqlite_error(db_, "storing key share");
  return {};
}

Result<std::optional<v1::StoredKey>> Store::latest_key() {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT epoch, sealed FROM key_shares ORDER BY epoch DESC LIMIT 1");
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<v1::StoredKey>();
  if (rc != SQLITE_ROW) return sqlite_error(db_, "reading key share");
  const auto epoch = static_cast<std::uint32_t>(s.integer(0));
  const Bytes sealed = s.blob(1);
  if (sealed.size() < kAeadNonceBytes) return make_error(ErrorCode::kVerificationFailed, "stored key share is truncated");
  auto plain = aead_decrypt(master_key_.span(), ByteSpan(sealed).first(kAeadNonceBytes),
                            ByteSpan(sealed).subspan(kAeadNonceBytes), key_context(epoch));
  if (!plain) return make_error(ErrorCode::kVerificationFailed, "stored key share does not open with this master key");
  v1::StoredKey key;
  if (!key.ParseFromArray(plain->data(), static_cast<int>(plain->size())) || key.epoch() != epoch) {
    return make_error(ErrorCode::kBadEncoding, "stored key share is malformed");
  }
  return std::optional<v1::StoredKey>(std::move(key));
}

Status Store::put_ciphertext(ByteSpan digest, ByteSpan body, std::int64_t now_unix_ms) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "INSERT OR IGNORE INTO ciphertexts (digest, body, registered_unix_ms) VALUES (?, ?, ?)");
  s.bind(1, digest).bind(2, body).bind(3, now_unix_ms);
  if (s.step() != SQLITE_DONE) return sqlite_error(db_, "storing ciphertext");
  return {};
}

Result<std::optional<Bytes>> Store::ciphertext(ByteSpan digest) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT body FROM ciphertexts WHERE digest = ?");
  s.bind(1, digest);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<Bytes>();
  if (rc != SQLITE_ROW) return sqlite_error(db_, "reading ciphertext");
  return std::optional<Bytes>(s.blob(0));
}

Result<std::int64_t> Store::ciphertext_count() {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT COUNT(*) FROM ciphertexts");
  if (s.step() != SQLITE_ROW) return sqlite_error(db_, "counting ciphertexts");
  return s.integer(0);
}

Result<bool> Store::record_nonce(ByteSpan requester, ByteSpan nonce, std::int64_t expires_unix_ms) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "INSERT OR IGNORE INTO request_nonces (requester, nonce, expires_unix_ms) VALUES (?, ?, ?)");
  s.bind(1, requester).bind(2, nonce).bind(3, expires_unix_ms);
  if (s.step() != SQLITE_DONE) return sqlite_error(db_, "recording nonce");
  return sqlite3_changes(db_) == 1;
}

Status Store::prune_nonces(std::int64_t now_unix_ms) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "DELETE FROM request_nonces WHERE expires_unix_ms < ?");
  s.bind(1, now_unix_ms);
  if (s.step() != SQLITE_DONE) return sqlite_error(db_, "pruning nonces");
  return {};
}

}  // namespace vigil::node
