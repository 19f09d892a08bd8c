// The node's durable state in one SQLite file: WAL journal with
// synchronous=FULL, so what the node acknowledged survives kill -9; a
// versioned schema migrated on open. Key shares are sealed under the node's
// master key (XChaCha20-Poly1305, the epoch bound as associated data) and
// never stored in the clear.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>

#include "vigil/bytes.h"
#include "vigil/v1/node.pb.h"

struct sqlite3;

namespace vigil::node {

inline constexpr int kSchemaVersion = 1;

// The master key: VIGIL_MASTER_KEY (64 hex digits) from the environment if
// set, otherwise `data_dir/master.key`, which must be mode 0600.
Result<SecretBytes> load_master_key(const std::filesystem::path& data_dir);
// Writes a fresh random master key to `data_dir/master.key` (mode 0600).
Status create_master_key(const std::filesystem::path& data_dir);

class Store {
 public:
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& file, SecretBytes master_key);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  int schema_version();

  // The key share of an epoch, sealed at rest; replaces an existing one.
  Status put_key(const v1::StoredKey& key, std::int64_t now_unix_ms);
  // The key of the newest epoch, if any. kVerificationFailed if it does not
  // open under the master key (a wrong key or a tampered file).
  Result<std::optional<v1::StoredKey>> latest_key();

  Status put_ciphertext(ByteSpan digest, ByteSpan body, std::int64_t now_unix_ms);
  Result<std::optional<Bytes>> ciphertext(ByteSpan digest);
  Result<std::int64_t> ciphertext_count();

  // Records a request nonce; false if this requester already used it.
  Result<bool> record_nonce(ByteSpan requester, ByteSpan nonce, std::int64_t expires_unix_ms);
  // Forgets nonces whose requests have expired (they can no longer be replayed).
  Status prune_nonces(std::int64_t now_unix_ms);

 private:
  Store(sqlite3* db, SecretBytes master_key) : db_(db), master_key_(std::move(master_key)) {}
  Status migrate();
  Status exec(const char* sql);

  sqlite3* db_;
  SecretBytes master_key_;
  std::mutex mutex_;
};

}  // namespace vigil::node
