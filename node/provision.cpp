#include "node/provision.h"

#include <cstdlib>
#include <system_error>

#include "node/release/node_key.h"
#include "node/store/store.h"

namespace vigil::node {

namespace fs = std::filesystem;

Result<Ed25519KeyPair> provision_data_dir(const fs::path& data_dir) {
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return make_error(ErrorCode::kInternal, "cannot create " + data_dir.string() + ": " + ec.message());
  fs::permissions(data_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  auto identity = fs::exists(data_dir / "identity.key") ? load_identity(data_dir) : create_identity(data_dir);
  if (!identity) return identity;
  // A master key that moved to VIGIL_MASTER_KEY stays there; and a node that
  // already sealed shares under a key it lost must not get a new one.
  const char* env = std::getenv("VIGIL_MASTER_KEY");
  const bool key_in_environment = env != nullptr && *env != '\0';
  if (!key_in_environment && !fs::exists(data_dir / "master.key")) {
    if (fs::exists(data_dir / "vigil.db")) {
      return make_error(ErrorCode::kInvalidInput, (data_dir / "vigil.db").string() +
                                                      " exists but master.key does not: set VIGIL_MASTER_KEY to the "
                                                      "key that sealed it (a new key would open nothing)");
    }
    VIGIL_RETURN_IF_ERROR(create_master_key(data_dir));
  }
  return identity;
}

template <Curve C>
Status import_dealt_key(const fs::path& data_dir, const FeldmanCommitment<C>& commitment,
                        std::span<const Element<C>> public_shares, const SecretShare<C>& share) {
  v1::StoredKey record = make_key_record<C>(1, commitment, public_shares, share);
  const SecretShareWipe wipe(record);
  VIGIL_RETURN_IF_ERROR(node_key_from_record(record));
  VIGIL_ASSIGN_OR_RETURN(DataDirLock lock, DataDirLock::acquire(data_dir));  // the node loads its key at start
  VIGIL_ASSIGN_OR_RETURN(SecretBytes master, load_master_key(data_dir));
  VIGIL_ASSIGN_OR_RETURN(auto store, Store::open(data_dir / "vigil.db", std::move(master)));
  return store->put_key(record, 0);
}

template Status import_dealt_key<Ristretto255>(const fs::path&, const FeldmanCommitment<Ristretto255>&,
                                               std::span<const Element<Ristretto255>>,
                                               const SecretShare<Ristretto255>&);
template Status import_dealt_key<Secp256k1>(const fs::path&, const FeldmanCommitment<Secp256k1>&,
                                            std::span<const Element<Secp256k1>>, const SecretShare<Secp256k1>&);

}  // namespace vigil::node
