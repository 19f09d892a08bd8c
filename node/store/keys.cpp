// The key_shares table: a node's key share per epoch, sealed under the
// master key with the epoch bound as associated data.
#include <utility>
#include <vector>

#include "node/store/sqlite.h"
#include "node/store/store.h"

namespace vigil::node {
namespace {

Bytes key_context(std::uint32_t epoch) {
  Bytes ad(as_bytes("vigil/v1/store/key-share").begin(), as_bytes("vigil/v1/store/key-share").end());
  for (int shift = 24; shift >= 0; shift -= 8) ad.push_back(static_cast<std::uint8_t>(epoch >> shift));
  return ad;
}

}  // namespace

using sqlite::Statement;

Status Store::insert_key(const v1::StoredKey& key, std::int64_t now_unix_ms) {
  std::string plain = key.SerializeAsString();
  auto sealed = seal_at_rest(as_bytes(plain), key_context(key.epoch()));
  secure_wipe(plain.data(), plain.size());
  if (!sealed) return sealed.error();
  Statement s(*statements_, "INSERT OR REPLACE INTO key_shares (epoch, sealed, created_unix_ms) VALUES (?, ?, ?)");
  s.bind(1, static_cast<std::int64_t>(key.epoch())).bind(2, *sealed).bind(3, now_unix_ms);
  if (s.step() != SQLITE_DONE) return sqlite::error(db_, "storing key share");
  return {};
}

Status Store::put_key(const v1::StoredKey& key, std::int64_t now_unix_ms) {
  const Durable lock(*this);
  return insert_key(key, now_unix_ms);
}

Result<std::optional<v1::StoredKey>> Store::latest_key() {
  const Durable lock(*this);
  Statement s(*statements_, "SELECT epoch, sealed FROM key_shares ORDER BY epoch DESC LIMIT 1");
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<v1::StoredKey>();
  if (rc != SQLITE_ROW) return sqlite::error(db_, "reading key share");
  const auto epoch = static_cast<std::uint32_t>(s.integer(0));
  VIGIL_ASSIGN_OR_RETURN(SecretBytes plain, open_at_rest(s.blob(1), key_context(epoch), "key share"));
  v1::StoredKey key;
  if (!key.ParseFromArray(plain.data(), static_cast<int>(plain.size())) || key.epoch() != epoch) {
    return make_error(ErrorCode::kBadEncoding, "stored key share is malformed");
  }
  return std::optional<v1::StoredKey>(std::move(key));
}

Result<int> Store::reseal_keys(const SecretBytes& next) {
  std::vector<std::pair<std::int64_t, Bytes>> rows;
  Statement s(*statements_, "SELECT epoch, sealed FROM key_shares");
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) rows.emplace_back(s.integer(0), s.blob(1));
  if (rc != SQLITE_DONE) return sqlite::error(db_, "reading key shares");
  for (const auto& [epoch, sealed] : rows) {
    VIGIL_ASSIGN_OR_RETURN(Bytes resealed,
                           reseal(sealed, key_context(static_cast<std::uint32_t>(epoch)), next, "key share"));
    Statement u(*statements_, "UPDATE key_shares SET sealed = ? WHERE epoch = ?");
    u.bind(1, resealed).bind(2, epoch);
    if (u.step() != SQLITE_DONE) return sqlite::error(db_, "re-sealing key share");
  }
  return static_cast<int>(rows.size());
}

}  // namespace vigil::node
