#include "store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

#include "vigil/aead.h"
#include "vigil/byte_writer.h"
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
    R"sql(
      CREATE TABLE ceremonies (
        session_id BLOB PRIMARY KEY,
        request BLOB NOT NULL,
        sealed_seed BLOB NOT NULL,
        accepted_unix_ms INTEGER NOT NULL,
        state TEXT NOT NULL,
        error TEXT NOT NULL DEFAULT '',
        finished_unix_ms INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE ceremony_events (
        session_id BLOB NOT NULL REFERENCES ceremonies (session_id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        event BLOB NOT NULL,
        PRIMARY KEY (session_id, seq));
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
  Statement& bind(int i, const std::string& text) {
    ok_ = ok_ && sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT) == SQLITE_OK;
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

Bytes key_context(std::uint32_t epoch) {
  Bytes ad(as_bytes("vigil/v1/store/key-share").begin(), as_bytes("vigil/v1/store/key-share").end());
  for (int shift = 24; shift >= 0; shift -= 8) ad.push_back(static_cast<std::uint8_t>(epoch >> shift));
  return ad;
}

Bytes seed_context(ByteSpan session_id) {
  ByteWriter w;
  w.field("vigil/v1/store/ceremony-seed").field(session_id);
  return w.take();
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
  if (sqlite3_open_v2(file.c_str(), &store->journal_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    return sqlite_error(store->journal_, "cannot open the ceremony journal on " + file.string());
  }
  sqlite3_busy_timeout(store->journal_, 5000);
  char* message = nullptr;
  if (sqlite3_exec(store->journal_, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", nullptr, nullptr, &message) !=
      SQLITE_OK) {
    sqlite3_free(message);
    return sqlite_error(store->journal_, "configuring the ceremony journal");
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

Result<Bytes> Store::seal_at_rest(ByteSpan plain, ByteSpan context) const {
  Bytes out(kAeadNonceBytes);
  system_rng().fill(out);
  VIGIL_ASSIGN_OR_RETURN(Bytes sealed, aead_encrypt(master_key_.span(), out, plain, context));
  out.insert(out.end(), sealed.begin(), sealed.end());
  return out;
}

Result<SecretBytes> Store::open_at_rest(ByteSpan sealed, ByteSpan context, const char* what) const {
  if (sealed.size() < kAeadNonceBytes) {
    return make_error(ErrorCode::kVerificationFailed, std::string("stored ") + what + " is truncated");
  }
  auto plain = aead_decrypt(master_key_.span(), sealed.first(kAeadNonceBytes), sealed.subspan(kAeadNonceBytes), context);
  if (!plain) {
    return make_error(ErrorCode::kVerificationFailed, std::string("stored ") + what + " does not open with this master key");
  }
  return std::move(plain).value();
}

Status Store::insert_key(const v1::StoredKey& key, std::int64_t now_unix_ms) {
  std::string plain = key.SerializeAsString();
  auto sealed = seal_at_rest(as_bytes(plain), key_context(key.epoch()));
  secure_wipe(plain.data(), plain.size());
  if (!sealed) return sealed.error();
  Statement s(db_, "INSERT OR REPLACE INTO key_shares (epoch, sealed, created_unix_ms) VALUES (?, ?, ?)");
  s.bind(1, static_cast<std::int64_t>(key.epoch())).bind(2, *sealed).bind(3, now_unix_ms);
  if (s.step() != SQLITE_DONE) return sqlite_error(db_, "storing key share");
  return {};
}

Status Store::put_key(const v1::StoredKey& key, std::int64_t now_unix_ms) {
  std::lock_guard lock(mutex_);
  return insert_key(key, now_unix_ms);
}

Result<std::optional<v1::StoredKey>> Store::latest_key() {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT epoch, sealed FROM key_shares ORDER BY epoch DESC LIMIT 1");
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<v1::StoredKey>();
  if (rc != SQLITE_ROW) return sqlite_error(db_, "reading key share");
  const auto epoch = static_cast<std::uint32_t>(s.integer(0));
  VIGIL_ASSIGN_OR_RETURN(SecretBytes plain, open_at_rest(s.blob(1), key_context(epoch), "key share"));
  v1::StoredKey key;
  if (!key.ParseFromArray(plain.data(), static_cast<int>(plain.size())) || key.epoch() != epoch) {
    return make_error(ErrorCode::kBadEncoding, "stored key share is malformed");
  }
  return std::optional<v1::StoredKey>(std::move(key));
}

Status Store::begin_ceremony(ByteSpan session_id, ByteSpan request, const SecretBytes& seed, std::int64_t now_unix_ms) {
  VIGIL_ASSIGN_OR_RETURN(Bytes sealed, seal_at_rest(seed.span(), seed_context(session_id)));
  std::lock_guard lock(mutex_);
  Statement s(db_,
              "INSERT INTO ceremonies (session_id, request, sealed_seed, accepted_unix_ms, state) VALUES (?, ?, ?, ?, 'running')");
  s.bind(1, session_id).bind(2, request).bind(3, sealed).bind(4, now_unix_ms);
  if (s.step() != SQLITE_DONE) {
    if (sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_PRIMARYKEY) {
      return make_error(ErrorCode::kInvalidInput, "this session id was already used");
    }
    return sqlite_error(db_, "storing ceremony");
  }
  return {};
}

Status Store::append_ceremony_event(ByteSpan session_id, std::int64_t seq, ByteSpan event) {
  std::lock_guard lock(mutex_);
  Statement s(journal_, "INSERT INTO ceremony_events (session_id, seq, event) VALUES (?, ?, ?)");
  s.bind(1, session_id).bind(2, seq).bind(3, event);
  if (s.step() != SQLITE_DONE) return sqlite_error(journal_, "journaling ceremony event");
  return {};
}

Result<std::optional<StoredCeremony>> Store::latest_ceremony() {
  std::lock_guard lock(mutex_);
  Statement s(db_,
              "SELECT session_id, request, sealed_seed, accepted_unix_ms, state, error, finished_unix_ms FROM ceremonies "
              "ORDER BY accepted_unix_ms DESC, rowid DESC LIMIT 1");
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<StoredCeremony>();
  if (rc != SQLITE_ROW) return sqlite_error(db_, "reading ceremony");
  const Bytes session = s.blob(0);
  StoredCeremony c;
  c.request = s.blob(1);
  VIGIL_ASSIGN_OR_RETURN(c.seed, open_at_rest(s.blob(2), seed_context(session), "ceremony seed"));
  c.accepted_unix_ms = s.integer(3);
  c.state = s.text(4);
  c.error = s.text(5);
  c.finished_unix_ms = s.integer(6);
  Statement e(db_, "SELECT event FROM ceremony_events WHERE session_id = ? ORDER BY seq");
  e.bind(1, session);
  int erc;
  while ((erc = e.step()) == SQLITE_ROW) c.events.push_back(e.blob(0));
  if (erc != SQLITE_DONE) return sqlite_error(db_, "reading ceremony events");
  return std::optional<StoredCeremony>(std::move(c));
}

Status Store::finish_ceremony(ByteSpan session_id, const std::string& state, const std::string& error,
                              const std::optional<v1::StoredKey>& key, bool erase_keys, std::int64_t now_unix_ms) {
  std::lock_guard lock(mutex_);
  VIGIL_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    if (key) VIGIL_RETURN_IF_ERROR(insert_key(*key, now_unix_ms));
    if (erase_keys) {
      Statement d(db_, "DELETE FROM key_shares WHERE epoch < ?");
      d.bind(1, key ? static_cast<std::int64_t>(key->epoch()) : std::numeric_limits<std::int64_t>::max());
      if (d.step() != SQLITE_DONE) return sqlite_error(db_, "erasing old key shares");
    }
    Statement u(db_, "UPDATE ceremonies SET state = ?, error = ?, finished_unix_ms = ? WHERE session_id = ?");
    u.bind(1, state).bind(2, error).bind(3, now_unix_ms).bind(4, session_id);
    if (u.step() != SQLITE_DONE || sqlite3_changes(db_) != 1) return sqlite_error(db_, "recording ceremony outcome");
    Statement j(db_, "DELETE FROM ceremony_events WHERE session_id = ?");
    j.bind(1, session_id);
    if (j.step() != SQLITE_DONE) return sqlite_error(db_, "dropping ceremony journal");
    return {};
  }();
  if (!body) {
    (void)exec("ROLLBACK");
    return body;
  }
  return exec("COMMIT");
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
