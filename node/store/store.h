// The node's durable state in one SQLite file: a WAL journal made durable
// before any method returns (group commit, below), so what the node
// acknowledged survives kill -9 and power loss; a versioned schema migrated
// on open. Key shares are sealed under the node's
// master key (XChaCha20-Poly1305, the epoch bound as associated data) and
// never stored in the clear.
//
// One class, one file per table family: keys.cpp (key_shares),
// ceremonies.cpp (ceremonies, ceremony_events), protected_secrets.cpp
// (protected_secrets, gossip_cursors, node_meta),
// decisions.cpp (releases, audit_log); the whole schema is in migrations.cpp, the
// master key in master_key.cpp, opening and sealing at rest in store.cpp.
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "vigil/bytes.h"
#include "vigil/ed25519.h"
#include "vigil/shamir.h"
#include "vigil/v1/node.pb.h"

struct sqlite3;

namespace vigil::node {
namespace sqlite {
class StatementCache;
}

inline constexpr int kSchemaVersion = 7;

// The master key: VIGIL_MASTER_KEY (64 hex digits) from the environment if
// set, otherwise `data_dir/master.key`, which must be mode 0600.
Result<SecretBytes> load_master_key(const std::filesystem::path& data_dir);
// Writes a fresh random master key to `data_dir/master.key` (mode 0600).
Status create_master_key(const std::filesystem::path& data_dir);

// What a master-key rotation re-sealed.
struct ResealCount {
  int key_shares = 0;
  int ceremony_seeds = 0;
};

// Replaces the master key of a stopped node's folder (`vigil
// rotate-master-key`): a new key is written to master.key.next, every secret
// at rest is re-sealed under it in one transaction (the old ciphertexts
// overwritten, the write-ahead log truncated), the old master.key is
// overwritten with zeros once master.key.next has taken its name. Run again
// after a crash or a failure, it finishes the rotation it finds. Refused while a process holds
// the folder (DataDirLock) and when VIGIL_MASTER_KEY is set: the key then
// lives outside the folder, where this cannot replace it.
Result<ResealCount> rotate_master_key(const std::filesystem::path& data_dir);

// An exclusive lock on a data folder (an flock on the folder itself), held
// by vigild for its lifetime and by the commands that change the folder
// beneath it; the kernel releases it when the holder dies, even by kill -9.
class DataDirLock {
 public:
  static Result<DataDirLock> acquire(const std::filesystem::path& data_dir);
  ~DataDirLock();
  DataDirLock(DataDirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  DataDirLock& operator=(DataDirLock&&) = delete;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

// A DKG or resharing this node took part in (node/ceremony/manager.h).
struct StoredCeremony {
  Bytes request;     // the signed StartCeremonyRequest, as received
  SecretBytes seed;  // drives this node's dealing, so a restart deals the same; empty once it ended
  std::int64_t accepted_unix_ms = 0;
  std::string state;  // running, done, failed
  std::string error;
  std::int64_t finished_unix_ms = 0;
  std::vector<Bytes> events;  // the inputs it consumed, in order (empty once it ended)
  // A finished ceremony's serialised v1::CeremonyStatus (group key,
  // transcript digest, confirmations, exclusions), so that a restarted node
  // reports what it reported before. Empty while it runs or awaits, and for
  // ceremonies recorded before schema version 3.
  Bytes outcome;
};

// A secret an enclave protected (proto/protected_secrets.h): the signed
// registration as received, the ciphertext it protects now, and the newest
// heartbeat. Public data: the ciphertext is encrypted to the group key.
struct ProtectedSecret {
  Bytes key_id;
  Bytes registration;                   // the serialised signed registration, as received (what peers are sent)
  Bytes ciphertext;                     // the serialised ciphertext it protects now (a heartbeat may replace it)
  std::uint64_t heartbeat_counter = 0;  // 0 before the first heartbeat
  std::int64_t heartbeat_unix_ms = 0;   // the newest heartbeat's own time; the registration's before
  Bytes heartbeat;                      // the newest signed heartbeat as received; empty before
  std::uint32_t releases = 0;           // this node's releases of it
  Bytes rotation;                       // the newest heartbeat that replaced the ciphertext; empty before
  std::uint64_t rotation_counter = 0;   // its counter (0: none)
  std::uint64_t gossip_seq = 0;         // its place in this node's sequence of changes
};

// What changed on this node after a point of its sequence, for a peer
// catching up (node/gossip/gossip.h).
struct Changes {
  std::vector<ProtectedSecret> secrets;  // registration, rotation and heartbeat filled in, by gossip_seq
  std::uint64_t up_to = 0;               // the last gossip_seq included
  bool more = false;
};

// How far a node has caught up with a peer's changes (node/gossip/gossip.h).
struct GossipCursor {
  std::uint64_t seq = 0;
  Bytes sequence_id;  // the peer's sequence it counts in; empty before the first batch
};

// A node's decision on a recovery request, for its audit chain
// (proto/audit.h); a grant also records the release it makes.
struct Decision {
  Bytes key_id;
  Bytes request_digest;
  std::string outcome;  // "granted" or a refusal code
  std::string detail;
  std::vector<Ed25519PublicKey> signers;
  std::int64_t unix_ms = 0;
  struct Release {
    Bytes nonce;
    Bytes response;                  // the sealed response, kept for a retry of the same request
    std::uint32_t max_releases = 0;  // of the granting group; 0: no limit
    // The newest heartbeat the grant was decided on: recorded only while it
    // is still the newest.
    std::uint64_t heartbeat_counter = 0;
  };
  std::optional<Release> release;
};

// Why a grant could not be recorded (nothing was written then).
enum class ReleaseConflict {
  kNone,
  kStateChanged,     // a heartbeat came in, or the limit was reached, since the decision: decide again
  kAlreadyReleased,  // this request was released meanwhile: read release()
  kNonceUsed,        // another request for this key id released under the same nonce
};

struct RecordedDecision {
  ReleaseConflict conflict = ReleaseConflict::kNone;
  v1::AuditEntry entry;  // as appended (empty on a conflict)
};

struct AuditHead {
  std::uint64_t seq = 0;  // 0: no entry yet
  Bytes hash;             // the newest entry's hash; 32 zero bytes before the first
};

// Durability and group commit: commits do not wait for the disk one by
// one (synchronous=NORMAL); instead no method returns until every commit it
// made or could have read is on disk (one fsync of the write-ahead log,
// shared by every caller waiting at the time). What a caller acts on or
// acknowledges is thus as durable as with synchronous=FULL, while concurrent
// heartbeats and releases share an fsync rather than queueing for one each.
// A failed fsync ends the process: the kernel may have dropped the pages it
// could not write, and a node that kept serving would claim what it lost.
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

  // Ceremonies. append_ceremony_event() is the one method that returns
  // before its commit is on disk: in WAL mode a commit survives the process
  // being killed (what resuming needs) without an fsync per protocol
  // message; a ceremony whose journal was lost to a power failure is re-fed
  // by its peers. sync_journal() makes every event appended so far durable
  // (the shared fsync): the manager calls it before it signs anything that
  // depends on what it received, so that a replay signs the same.
  Status begin_ceremony(ByteSpan session_id, ByteSpan request, const SecretBytes& seed, std::int64_t now_unix_ms);
  Status append_ceremony_event(ByteSpan session_id, std::int64_t seq, ByteSpan event);
  Status sync_journal();
  // The newest ceremony, if any, with its events.
  Result<std::optional<StoredCeremony>> latest_ceremony();
  // Ends a ceremony in one transaction: its outcome (state, error and finish
  // time are read from it), and on success the new key (older epochs are
  // erased: refreshed shares must not be combinable with old ones). The ceremony's seed and journal are erased too, and
  // then the write-ahead log is truncated, so no file of the data folder still holds an erased epoch's sealed share or
  // the seed. `key` is empty for a failure, or for a node that dealt but left the committee, whose keys are then all
  // erased.
  Status finish_ceremony(ByteSpan session_id, const v1::CeremonyStatus& outcome,
                         const std::optional<v1::StoredKey>& key, bool erase_keys);
  // A ceremony that failed on its deadline after this node confirmed: its
  // seed and journal stay (a restart rebuilds it), and a certificate can
  // still complete it (node/ceremony/ceremony.h).
  Status await_certificate(ByteSpan session_id, const std::string& error, std::int64_t now_unix_ms);

  // Re-seals every secret at rest under `next` in one transaction (nothing
  // changes if it fails); the store uses `next` afterwards. A value already
  // sealed under `next` (a rotation that committed and was then interrupted)
  // is kept as it is. forget_deleted() then removes the old ciphertexts.
  Result<ResealCount> reseal_under(SecretBytes next);
  // Truncates the write-ahead log, so that with secure_delete on, what was
  // deleted or overwritten is gone from every file.
  Status forget_deleted();

  // Protected secrets. A registration is stored once: true if it was new,
  // false if the same registration was already there; another registration
  // under the same key id is kInvalidInput (it cannot happen without a hash
  // collision or an enclave signing two ciphertexts with one id).
  Result<bool> put_protected_secret(const ProtectedSecret& secret);
  // With `unsettled`, the read returns at once instead of waiting for the
  // commits it may have seen to be durable, and leaves there the commit to
  // settle() before anything that depends on it is answered (a write made
  // after it covers it too): a heartbeat checks its signature while the
  // fsync it would have waited for is under way.
  Result<std::optional<ProtectedSecret>> protected_secret(ByteSpan key_id, std::uint64_t* unsettled = nullptr);
  // Returns once commit number `commit` (from an unsettled read) is durable.
  void settle(std::uint64_t commit) { wait_durable(commit); }
  // How many fsyncs of the write-ahead log this store has made.
  std::uint64_t syncs() const { return syncs_.load(); }
  Result<std::int64_t> protected_secret_count();
  // Records a heartbeat only if its counter is above the stored one, in one
  // statement (two concurrent heartbeats cannot both win): true if taken.
  // `replacement` is the new ciphertext a heartbeat carries, if any. With
  // `never_back` the silence timer does not move back (a heartbeat a peer
  // passes on may be old: it must not make a node that learned the secret
  // late believe the enclave silent); otherwise it takes the heartbeat's own
  // time, which the caller checked is near its clock.
  Result<bool> record_heartbeat(ByteSpan key_id, std::uint64_t counter, std::int64_t unix_ms, ByteSpan heartbeat,
                                const std::optional<Bytes>& replacement, bool never_back);
  // The enclave's own copy of what a peer passed on first (the registration
  // at counter 0, or the heartbeat at `counter`): the silence timer takes
  // its time, as if it had come first, if that is earlier. The caller
  // checked `unix_ms` is near its clock.
  Status take_enclave_time(ByteSpan key_id, std::uint64_t counter, std::int64_t unix_ms);
  // Records a rotation that arrives after a newer heartbeat (a node that
  // missed it catches up): its ciphertext replaces the held one only if its
  // counter is above the last rotation's and not above the newest
  // heartbeat's; the silence timer is left alone. True if taken.
  Result<bool> record_late_rotation(ByteSpan key_id, std::uint64_t counter, ByteSpan heartbeat, ByteSpan replacement);
  // The sealed response of a release already made for this request (a retry
  // whose response was lost gets it again, uncounted), if any. `unsettled`
  // as for protected_secret().
  Result<std::optional<Bytes>> release(ByteSpan request_digest, std::uint64_t* unsettled = nullptr);
  // Appends a decision to the audit chain, signed by `node`, in one
  // transaction with its release if it grants one: the release is counted
  // (only if the secret's newest heartbeat is still the one it was decided
  // on, and under its limit) and kept by request
  // digest. A conflict writes nothing.
  Result<RecordedDecision> record_decision(const Decision& decision, const Ed25519KeyPair& node);
  // Audit entries from seq `from` on, at most `limit` of them, in order.
  Result<std::vector<v1::AuditEntry>> audit_entries(std::uint64_t from, std::size_t limit);
  Result<AuditHead> audit_head();

  // Gossip. Every new registration and taken heartbeat moves its secret to
  // the end of this node's sequence of changes.
  // Secrets changed after `after`, in order, up to about `max_bytes` (at
  // least one).
  Result<Changes> changes_since(std::uint64_t after, std::size_t max_bytes);
  // The random id of this database's sequence of changes (a replaced or
  // restored database numbers its changes anew under another id).
  Result<Bytes> gossip_sequence_id();
  // How far this node has caught up with `peer`'s changes (seq 0: not at
  // all), in the peer's sequence named by sequence_id.
  Result<GossipCursor> gossip_cursor(ParticipantIndex peer);
  // Moves the cursor forward within one sequence (never backwards: two
  // catch-up chains may finish out of order); a cursor in another sequence
  // replaces it.
  Status set_gossip_cursor(ParticipantIndex peer, const GossipCursor& cursor);

 private:
  Store(sqlite3* db, std::filesystem::path file, SecretBytes master_key);
  // Holds the store's lock; on leaving, counts the commit it made, if any,
  // releases the lock and (unless `wait` is false) waits until every commit
  // made so far, by this scope or before it, is durable.
  class Durable {
   public:
    // `unsettled`: instead of waiting, leaves the commit to wait for there.
    explicit Durable(Store& store, bool wait = true, std::uint64_t* unsettled = nullptr)
        : store_(store), lock_(store.mutex_), wait_(wait && unsettled == nullptr), unsettled_(unsettled) {}
    ~Durable();
    Durable(const Durable&) = delete;
    Durable& operator=(const Durable&) = delete;

   private:
    Store& store_;
    std::unique_lock<std::mutex> lock_;
    bool wait_;
    std::uint64_t* unsettled_;
  };
  // Returns once a sync of the write-ahead log that began after commit
  // number `commit` has completed.
  void wait_durable(std::uint64_t commit);
  // One fsync of the write-ahead log.
  Status sync_log();
  static int on_commit(void* store);
  Status migrate();
  Status exec(const char* sql);
  // BEGIN IMMEDIATE, `body`, then COMMIT, or ROLLBACK if anything failed.
  Status in_transaction(const std::function<Status()>& body);
  Result<ReleaseConflict> insert_release(const Decision& decision);  // decisions.cpp
  Result<Bytes> seal_at_rest(ByteSpan plain, ByteSpan context) const {
    return seal_at_rest(master_key_, plain, context);
  }
  Result<SecretBytes> open_at_rest(ByteSpan sealed, ByteSpan context, const char* what) const {
    return open_at_rest(master_key_, sealed, context, what);
  }
  static Result<Bytes> seal_at_rest(const SecretBytes& key, ByteSpan plain, ByteSpan context);
  static Result<SecretBytes> open_at_rest(const SecretBytes& key, ByteSpan sealed, ByteSpan context, const char* what);
  // `sealed` opened under the current master key and sealed under `next`.
  Result<Bytes> reseal(ByteSpan sealed, ByteSpan context, const SecretBytes& next, const char* what) const;
  Result<int> reseal_keys(const SecretBytes& next);   // keys.cpp
  Result<int> reseal_seeds(const SecretBytes& next);  // ceremonies.cpp
  Status insert_key(const v1::StoredKey& key, std::int64_t now_unix_ms);

  sqlite3* db_;
  std::filesystem::path file_;
  std::unique_ptr<sqlite::StatementCache> statements_;
  int log_fd_ = -1;  // the write-ahead log, opened at the first sync (guarded by sync_mutex_)
  SecretBytes master_key_;
  std::mutex mutex_;  // the connections, their statements and commit_seen_
  bool commit_seen_ = false;
  std::atomic<std::uint64_t> commits_{0};  // commits completed on db_
  std::mutex sync_mutex_;
  std::condition_variable synced_;
  std::uint64_t durable_ = 0;  // commits known to be on disk
  bool syncing_ = false;
  std::atomic<std::uint64_t> syncs_{0};
};

}  // namespace vigil::node
