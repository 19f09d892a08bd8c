// The node's SQLite store: migrations, sealed key shares, the ciphertext
// registry, replay protection, durability across kill -9, and a full or
// read-only disk.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "node/store/store.h"
#include "proto/audit.h"
#include "support/data_folder.h"
#include "support/test_support.h"

namespace vigil::node {
namespace {

namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vigil-store-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    key_ = SecretBytes(32);
    SeededRng rng(vigil::test::test_seed() + 90);
    rng.fill(key_.mutable_span());
    node_ = ed25519_generate(rng);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::unique_ptr<Store> open(const SecretBytes& key) {
    auto s = Store::open(dir_ / "node.db", key.clone());
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().to_string());
    return s.ok() ? std::move(s).value() : nullptr;
  }
  fs::path dir_;
  SecretBytes key_;
  Ed25519KeyPair node_;  // signs the audit chain
};

v1::StoredKey sample_key(std::uint32_t epoch) {
  v1::StoredKey k;
  k.set_version(1);
  k.set_curve(v1::CURVE_RISTRETTO255);
  k.set_epoch(epoch);
  k.set_threshold(2);
  k.set_index(1);
  k.set_secret_share(std::string(32, static_cast<char>(epoch)));
  k.add_commitments(std::string(32, 'c'));
  k.add_public_shares(std::string(32, 'p'));
  return k;
}

Bytes as_bytes_copy(std::string_view text) { return Bytes(text.begin(), text.end()); }

v1::CeremonyStatus outcome(const std::string& state, std::int64_t finished_unix_ms) {
  v1::CeremonyStatus s;
  s.set_state(state);
  s.set_finished_unix_ms(finished_unix_ms);
  s.set_transcript_digest(std::string(32, 't'));
  s.set_confirmations(3);
  return s;
}

TEST_F(StoreTest, KeysAreSealedAndSurviveReopening) {
  {
    auto store = open(key_);
    ASSERT_TRUE(store);
    EXPECT_EQ(store->schema_version(), kSchemaVersion);
    auto none = store->latest_key();
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
    ASSERT_TRUE(store->put_key(sample_key(1), 1000).ok());
    ASSERT_TRUE(store->put_key(sample_key(2), 2000).ok());
  }
  auto store = open(key_);
  auto latest = store->latest_key();
  ASSERT_TRUE(latest.ok());
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ((*latest)->epoch(), 2u);
  EXPECT_EQ((*latest)->secret_share(), std::string(32, '\2'));

  // The secret share is not in the file in the clear.
  std::ifstream db(dir_ / "node.db", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(db)), {});
  EXPECT_EQ(bytes.find(std::string(32, '\2')), std::string::npos);

  SecretBytes wrong(32);
  auto other = open(wrong);
  auto refused = other->latest_key();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kVerificationFailed);
}

TEST_F(StoreTest, RefusesANewerSchemaAndWrongMasterKeys) {
  { open(key_); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "node.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto s = Store::open(dir_ / "node.db", key_.clone());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("newer"), std::string::npos);
  EXPECT_FALSE(Store::open(dir_ / "x.db", SecretBytes(16)).ok());
}

TEST_F(StoreTest, MasterKeyFileAndEnvironment) {
  ::unsetenv("VIGIL_MASTER_KEY");
  EXPECT_FALSE(load_master_key(dir_).ok());
  ASSERT_TRUE(create_master_key(dir_).ok());
  EXPECT_EQ(fs::status(dir_ / "master.key").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  auto k = load_master_key(dir_);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->size(), 32u);
  fs::permissions(dir_ / "master.key", fs::perms::group_read, fs::perm_options::add);
  EXPECT_NE(load_master_key(dir_).error().message.find("chmod 600"), std::string::npos);
  ::setenv("VIGIL_MASTER_KEY", std::string(64, 'b').c_str(), 1);
  auto from_env = load_master_key(dir_);
  ::unsetenv("VIGIL_MASTER_KEY");
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->span()[0], 0xbb);
}

// After a failed sync of the log the node stopped and left a marker: the
// store does not open (and so the node does not serve) until an operator
// has checked the disk and removed it.
TEST_F(StoreTest, ALeftoverSyncFailureKeepsTheStoreClosed) {
  { ASSERT_TRUE(open(key_)); }
  std::ofstream(dir_ / "node.db.sync-failed").close();
  auto refused = Store::open(dir_ / "node.db", key_.clone());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("failed earlier"), std::string::npos) << refused.error().message;
  fs::remove(dir_ / "node.db.sync-failed");
  EXPECT_TRUE(Store::open(dir_ / "node.db", key_.clone()).ok());
}

// A child process records a nonce, reports success, and is killed with
// SIGKILL; the acknowledged write is there when the store is reopened.
TEST_F(StoreTest, AcknowledgedWritesSurviveKill9) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = Store::open(dir_ / "node.db", key_.clone());
    Decision granted{Bytes(32, 'k'), Bytes(32, 'd'), "granted", "", {}, 1, std::nullopt};
    granted.release = Decision::Release{Bytes(16, 'n'), as_bytes_copy("sealed share"), 1};
    bool ok = store.ok() && (*store)->put_protected_secret({Bytes(32, 'k'), {1}, {2}, 0, 0, {}, 0, {}, 0}).ok() &&
              (*store)->record_decision(granted, node_).ok() && (*store)->put_key(sample_key(7), 1).ok();
    char ack = ok ? 'y' : 'n';
    (void)::write(pipe_fds[1], &ack, 1);
    ::pause();  // killed here, with the database still open
    ::_exit(0);
  }
  char ack = 0;
  ASSERT_EQ(::read(pipe_fds[0], &ack, 1), 1);
  ASSERT_EQ(ack, 'y');
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  auto store = open(key_);
  EXPECT_EQ(store->release(Bytes(32, 'd'))->value(), as_bytes_copy("sealed share")) << "the release";
  EXPECT_EQ(store->audit_head()->seq, 1u) << "and its audit entry";
  EXPECT_EQ(store->protected_secret(Bytes(32, 'k')).value()->releases, 1u);
  EXPECT_EQ((*store->latest_key())->epoch(), 7u);
}

// In a child process with its own mount namespace (CI runs as root), the
// data folder is a 2 MiB tmpfs: writes go on until the disk is full, which
// is refused as kResourceExhausted naming the problem and logged; once there
// is room again writing resumes, and everything acknowledged is there with
// an intact database. A read-only folder gives a clear error too.
TEST_F(StoreTest, AFullOrReadOnlyDiskIsAClearLoggedErrorAndLosesNothing) {
  const fs::path small = dir_ / "small";
  fs::create_directories(small);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string report;
    auto say = [&](const std::string& line) { report += line + "\n"; };
    if (::unshare(CLONE_NEWNS) != 0 || ::mount("", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=2m") != 0) {
      say("skip: cannot mount a tmpfs here (not root?)");
    } else {
      auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
      spdlog::default_logger()->sinks().push_back(sink);
      std::ofstream(small / "filler", std::ios::binary) << std::string(256 * 1024, 'f');
      std::size_t acknowledged = 0;
      Error full{ErrorCode::kInternal, "never full", std::nullopt};
      {
        auto store = Store::open(small / "node.db", key_.clone());
        if (!store) say("open failed: " + store.error().message);
        for (std::size_t i = 0; store && i < 1000; ++i) {
          const Bytes id(32, static_cast<std::uint8_t>(i));
          Bytes key_id = id;
          key_id[0] = static_cast<std::uint8_t>(i >> 8);
          auto put = (*store)->put_protected_secret({key_id, Bytes(64 * 1024, 'r'), {2}, 0, 0, {}, 0, {}, 0});
          if (!put) {
            full = put.error();
            break;
          }
          ++acknowledged;
        }
        say("acknowledged " + std::to_string(acknowledged));
        say(std::string("full code ") + (full.code == ErrorCode::kResourceExhausted ? "resource_exhausted" : "other"));
        say("full message " + full.message);
        fs::remove(small / "filler");
        if (store) {
          auto again = (*store)->put_protected_secret({Bytes(32, 0xee), Bytes(1024, 'r'), {2}, 0, 0, {}, 0, {}, 0});
          say(std::string("after room ") + (again.ok() ? "written" : again.error().message));
        }
      }
      for (const auto& line : sink->last_formatted()) {
        if (line.find("storage:") != std::string::npos) say("logged " + line.substr(0, line.find('\n')));
      }
      {
        auto reopened = Store::open(small / "node.db", key_.clone());
        auto held = reopened ? (*reopened)->protected_secret_count() : Result<std::int64_t>(reopened.error());
        say("held " + (held ? std::to_string(*held) : held.error().message));
      }
      sqlite3* db = nullptr;
      std::string integrity = "unopened";
      if (sqlite3_open((small / "node.db").c_str(), &db) == SQLITE_OK) {
        sqlite3_exec(
            db, "PRAGMA integrity_check",
            [](void* out, int, char** values, char**) {
              *static_cast<std::string*>(out) = values[0] ? values[0] : "";
              return 0;
            },
            &integrity, nullptr);
      }
      sqlite3_close(db);
      say("integrity " + integrity);
      if (::mount("", small.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) != 0) say("remount failed");
      auto read_only = Store::open(small / "node.db", key_.clone());
      say("read-only " + (read_only.ok() ? std::string("opened") : read_only.error().message));
    }
    (void)::write(pipe_fds[1], report.data(), report.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string report;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
    report.append(buffer, static_cast<std::size_t>(n));
  ::waitpid(child, nullptr, 0);
  if (report.rfind("skip:", 0) == 0) GTEST_SKIP() << report;
  auto value = [&report](const std::string& key) {
    const auto at = report.find("\n" + key + " ");
    if (at == std::string::npos && report.rfind(key + " ", 0) != 0) return std::string("<missing>");
    const auto start = (at == std::string::npos ? 0 : at + 1) + key.size() + 1;
    return report.substr(start, report.find('\n', start) - start);
  };
  const std::size_t acknowledged = std::stoul(value("acknowledged"));
  EXPECT_GT(acknowledged, 0u) << report;
  EXPECT_LT(acknowledged, 1000u) << "the disk filled: " << report;
  EXPECT_EQ(value("full code"), "resource_exhausted") << report;
  EXPECT_NE(value("full message").find("database or disk is full"), std::string::npos) << report;
  EXPECT_NE(value("logged").find("database or disk is full"), std::string::npos) << report;
  EXPECT_EQ(value("after room"), "written") << report;
  EXPECT_EQ(std::stoul(value("held")), acknowledged + 1) << "nothing acknowledged is lost: " << report;
  EXPECT_EQ(value("integrity"), "ok") << report;
  EXPECT_NE(value("read-only"), "opened") << report;
  EXPECT_NE(value("read-only").find("read"), std::string::npos) << "the error says why: " << report;
}

TEST_F(StoreTest, CeremonyJournalSurvivesReopeningAndTheOutcomeIsOneTransaction) {
  const Bytes session(32, 0x5a);
  SecretBytes seed(32);
  SeededRng(vigil::test::test_seed() + 91).fill(seed.mutable_span());
  {
    auto store = open(key_);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->put_key(sample_key(1), 1).ok());
    ASSERT_TRUE(store->begin_ceremony(session, as_bytes("signed plan"), seed, 1000).ok());
    auto again = store->begin_ceremony(session, as_bytes("signed plan"), seed, 1001);
    ASSERT_FALSE(again.ok());
    EXPECT_NE(again.error().message.find("already used"), std::string::npos);
    for (std::int64_t i = 0; i < 3; ++i)
      ASSERT_TRUE(store->append_ceremony_event(session, i, Bytes(4, static_cast<std::uint8_t>(i))).ok());
    EXPECT_FALSE(store->append_ceremony_event(session, 1, Bytes(1, 9)).ok()) << "a sequence number is written once";
    EXPECT_TRUE(store->sync_journal().ok());
  }
  {
    auto store = open(key_);
    auto c = store->latest_ceremony();
    ASSERT_TRUE(c.ok() && c->has_value());
    EXPECT_EQ((*c)->state, "running");
    EXPECT_EQ((*c)->accepted_unix_ms, 1000);
    EXPECT_TRUE((*c)->seed == seed);
    ASSERT_EQ((*c)->events.size(), 3u);
    EXPECT_EQ((*c)->events[2], Bytes(4, 2));
    // Done: the new epoch's key in, the older erased, the journal dropped, together.
    ASSERT_TRUE(store->finish_ceremony(session, outcome("done", 2000), sample_key(2), true).ok());
    auto latest = store->latest_key();
    ASSERT_TRUE(latest.ok() && latest->has_value());
    EXPECT_EQ((*latest)->epoch(), 2u);
    c = store->latest_ceremony();
    EXPECT_EQ((*c)->state, "done");
    EXPECT_EQ((*c)->finished_unix_ms, 2000);
    EXPECT_TRUE((*c)->events.empty());
    v1::CeremonyStatus stored_outcome;
    ASSERT_TRUE(stored_outcome.ParseFromArray((*c)->outcome.data(), static_cast<int>((*c)->outcome.size())));
    EXPECT_EQ(stored_outcome.transcript_digest(), std::string(32, 't')) << "the outcome as status reported it";
    EXPECT_EQ(stored_outcome.confirmations(), 3u);
    // A node that left the committee: every key erased.
    const Bytes second(32, 0x6b);
    ASSERT_TRUE(store->begin_ceremony(second, as_bytes("plan 2"), seed, 3000).ok());
    ASSERT_TRUE(store->finish_ceremony(second, outcome("done", 4000), std::nullopt, true).ok());
    latest = store->latest_key();
    ASSERT_TRUE(latest.ok());
    EXPECT_FALSE(latest->has_value());
    EXPECT_FALSE(store->finish_ceremony(Bytes(32, 1), outcome("failed", 5000), std::nullopt, false).ok())
        << "an unknown session has no outcome to record";
  }
  // A running ceremony's seed is sealed: another master key cannot open it.
  ASSERT_TRUE(open(key_)->begin_ceremony(Bytes(32, 0x7c), as_bytes("plan 3"), seed, 6000).ok());
  SecretBytes other(32);
  auto store = open(other);
  ASSERT_TRUE(store);
  auto c = store->latest_ceremony();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kVerificationFailed);
}

using vigil::test::folder_bytes;
using vigil::test::raw_value;

TEST_F(StoreTest, AnErasedEpochAndAFinishedCeremonysSeedLeaveNoTraceInAnyFile) {
  const Bytes session(32, 0x3c);
  SecretBytes seed(32);
  SeededRng(vigil::test::test_seed() + 92).fill(seed.mutable_span());
  auto store = open(key_);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->put_key(sample_key(1), 1).ok());
  ASSERT_TRUE(store->begin_ceremony(session, as_bytes("plan"), seed, 1000).ok());
  ASSERT_TRUE(store->append_ceremony_event(session, 0, Bytes(48, 0xe7)).ok());
  const std::string old_share = raw_value(dir_ / "node.db", "SELECT sealed FROM key_shares WHERE epoch = 1");
  const std::string sealed_seed = raw_value(dir_ / "node.db", "SELECT sealed_seed FROM ceremonies");
  ASSERT_GE(old_share.size(), 48u);
  ASSERT_GE(sealed_seed.size(), 48u);
  const std::string event(48, '\xe7');
  const std::string plain_seed(seed.span().begin(), seed.span().end());

  ASSERT_TRUE(store->finish_ceremony(session, outcome("done", 2000), sample_key(2), true).ok());
  for (const auto& [file, bytes] : folder_bytes(dir_)) {
    EXPECT_EQ(bytes.find(old_share), std::string::npos) << "the erased epoch's sealed share is still in " << file;
    EXPECT_EQ(bytes.find(sealed_seed), std::string::npos) << "the sealed seed is still in " << file;
    EXPECT_EQ(bytes.find(plain_seed), std::string::npos) << "the seed is in " << file;
    EXPECT_EQ(bytes.find(event), std::string::npos) << "the journal is still in " << file;
  }
  auto c = store->latest_ceremony();
  ASSERT_TRUE(c.ok() && c->has_value()) << (c.ok() ? "" : c.error().message);
  EXPECT_EQ((*c)->state, "done");
  EXPECT_EQ((*c)->seed.size(), 0u);
  store.reset();
  auto reopened = open(key_);
  auto latest = reopened->latest_key();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->epoch(), 2u) << "only the new epoch remains";
}

TEST_F(StoreTest, ProtectedSecretsTakeOneRegistrationRisingHeartbeatsAndCountedReleases) {
  const Bytes id(32, 0x1d), other_id(32, 0x2d);
  ProtectedSecret secret{id, as_bytes_copy("signed registration"), as_bytes_copy("ciphertext 1"), 0, 5000, {}, 0, {},
                         0};
  {
    auto store = open(key_);
    ASSERT_TRUE(store);
    EXPECT_TRUE(*store->put_protected_secret(secret));
    EXPECT_FALSE(*store->put_protected_secret(secret)) << "the same registration again changes nothing";
    ProtectedSecret squatter = secret;
    squatter.registration = as_bytes_copy("another registration");
    auto refused = store->put_protected_secret(squatter);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidInput);

    EXPECT_TRUE(*store->record_heartbeat(id, 1, 6000, as_bytes_copy("beat 1"), std::nullopt, false));
    EXPECT_FALSE(*store->record_heartbeat(id, 1, 7000, as_bytes_copy("beat 1 again"), std::nullopt, false))
        << "replayed";
    EXPECT_FALSE(*store->record_heartbeat(id, 0, 7000, as_bytes_copy("older"), std::nullopt, false));
    EXPECT_FALSE(*store->record_heartbeat(other_id, 9, 7000, as_bytes_copy("unknown"), std::nullopt, false));
    EXPECT_TRUE(*store->record_heartbeat(id, 3, 8000, as_bytes_copy("beat 3"), as_bytes_copy("ciphertext 2"), false));
    EXPECT_TRUE(*store->record_heartbeat(id, 4, 9000, as_bytes_copy("beat 4"), std::nullopt, false));
    EXPECT_FALSE(
        store->record_heartbeat(id, std::uint64_t{1} << 63, 9500, as_bytes_copy("huge"), std::nullopt, false).ok());

    EXPECT_FALSE(store->release(Bytes(32, 0xa1))->has_value());
    auto grant = [&](const Bytes& key_id, std::uint8_t request, const char* nonce, const char* response,
                     std::uint32_t max_releases) {
      Decision d{key_id, Bytes(32, request), "granted", "", {}, 10000, std::nullopt};
      d.release = Decision::Release{as_bytes_copy(nonce), as_bytes_copy(response), max_releases, 4};
      return store->record_decision(d, node_);
    };
    Decision stale{id, Bytes(32, 0xa0), "granted", "", {}, 10000, std::nullopt};
    stale.release = Decision::Release{as_bytes_copy("nonce 0"), as_bytes_copy("decided before beat 4"), 0, 3};
    EXPECT_EQ(store->record_decision(stale, node_)->conflict, ReleaseConflict::kStateChanged)
        << "a heartbeat came in after the decision";
    EXPECT_EQ(grant(id, 0xa1, "nonce 1", "sealed response", 1)->conflict, ReleaseConflict::kNone);
    EXPECT_EQ(grant(id, 0xa2, "nonce 2", "second", 1)->conflict, ReleaseConflict::kStateChanged) << "limit reached";
    EXPECT_EQ(grant(id, 0xa1, "nonce 1", "same request", 0)->conflict, ReleaseConflict::kAlreadyReleased);
    EXPECT_EQ(grant(id, 0xa3, "nonce 1", "other request, same nonce", 0)->conflict, ReleaseConflict::kNonceUsed);
    EXPECT_EQ(grant(other_id, 0xa4, "nonce 4", "x", 0)->conflict, ReleaseConflict::kStateChanged)
        << "an unknown key id has nothing to release";
    EXPECT_EQ(store->audit_head()->seq, 1u) << "conflicts write no entry";
  }
  auto store = open(key_);
  const ProtectedSecret stored = store->protected_secret(id).value().value();
  EXPECT_EQ(stored.registration, secret.registration);
  EXPECT_EQ(stored.ciphertext, as_bytes_copy("ciphertext 2")) << "replaced by heartbeat 3, kept by heartbeat 4";
  EXPECT_EQ(stored.heartbeat_counter, 4u);
  EXPECT_EQ(stored.heartbeat_unix_ms, 9000);
  EXPECT_EQ(stored.heartbeat, as_bytes_copy("beat 4"));
  EXPECT_EQ(stored.releases, 1u) << "conflicting releases are not counted";
  EXPECT_EQ(store->release(Bytes(32, 0xa1))->value(), as_bytes_copy("sealed response"));
  EXPECT_FALSE(store->protected_secret(other_id)->has_value());
}

TEST_F(StoreTest, TheAuditChainIsSignedChainedAndContinuesAfterARestart) {
  const Bytes id(32, 0x1d);
  auto refuse = [&](Store& store, std::uint8_t request, const char* outcome) {
    const Ed25519PublicKey signer{request};
    auto r =
        store.record_decision({id, Bytes(32, request), outcome, "why", {signer}, 1000 + request, std::nullopt}, node_);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->conflict, ReleaseConflict::kNone);
    EXPECT_EQ(r->entry.outcome(), outcome);
  };
  {
    auto store = open(key_);
    EXPECT_EQ(store->audit_head()->seq, 0u);
    EXPECT_EQ(store->audit_head()->hash, Bytes(32, 0));
    refuse(*store, 1, "enclave_alive");
    refuse(*store, 2, "not_authorised");
  }
  auto store = open(key_);
  refuse(*store, 3, "expired");
  auto entries = store->audit_entries(1, 100).value();
  ASSERT_EQ(entries.size(), 3u);
  proto::AuditChainVerifier chain(node_.public_key);
  for (const auto& e : entries) ASSERT_TRUE(chain.add(e).ok()) << chain.add(e).error().message;
  EXPECT_EQ(entries[1].outcome(), "not_authorised");
  EXPECT_EQ(entries[2].unix_ms(), 1003);
  const AuditHead head = store->audit_head().value();
  EXPECT_EQ(head.seq, 3u);
  EXPECT_EQ(head.hash, Bytes(chain.head().begin(), chain.head().end()));
  auto page = store->audit_entries(2, 1).value();
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].seq(), 2u);
  EXPECT_TRUE(store->audit_entries(4, 10)->empty());
}

// A folder as a node has it: master.key and a database holding two key
// shares and a running ceremony's seed.
class RotationTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ::unsetenv("VIGIL_MASTER_KEY");
    ASSERT_TRUE(create_master_key(dir_).ok());
    old_key_ = load_master_key(dir_).value();
    auto store = Store::open(dir_ / "vigil.db", old_key_.clone()).value();
    ASSERT_TRUE(store->put_key(sample_key(1), 1).ok());
    ASSERT_TRUE(store->put_key(sample_key(2), 2).ok());
    seed_ = SecretBytes(32);
    SeededRng(vigil::test::test_seed() + 93).fill(seed_.mutable_span());
    ASSERT_TRUE(store->begin_ceremony(session_, as_bytes("plan"), seed_, 1000).ok());
    sealed_share_ = raw_value(dir_ / "vigil.db", "SELECT sealed FROM key_shares WHERE epoch = 2");
    sealed_seed_ = raw_value(dir_ / "vigil.db", "SELECT sealed_seed FROM ceremonies");
  }

  // The folder opens under its master.key, with what SetUp stored, and under
  // nothing else.
  void expect_rotated() {
    auto key = load_master_key(dir_);
    ASSERT_TRUE(key.ok()) << key.error().message;
    EXPECT_FALSE(fs::exists(dir_ / "master.key.next"));
    EXPECT_NE(to_hex(key->span()), to_hex(old_key_.span()));
    auto store = Store::open(dir_ / "vigil.db", key->clone()).value();
    auto latest = store->latest_key();
    ASSERT_TRUE(latest.ok() && latest->has_value()) << (latest.ok() ? "none" : latest.error().message);
    EXPECT_EQ((*latest)->secret_share(), sample_key(2).secret_share());
    auto ceremony = store->latest_ceremony();
    ASSERT_TRUE(ceremony.ok() && ceremony->has_value());
    EXPECT_EQ(to_hex((*ceremony)->seed.span()), to_hex(seed_.span()));
    store.reset();

    auto with_old = Store::open(dir_ / "vigil.db", old_key_.clone()).value();
    ASSERT_FALSE(with_old->latest_key().ok()) << "the old master key still opens the key share";
    EXPECT_EQ(with_old->latest_key().error().code, ErrorCode::kVerificationFailed);
    EXPECT_FALSE(with_old->latest_ceremony().ok()) << "the old master key still opens the seed";
    with_old.reset();
    const std::string old_hex = to_hex(old_key_.span());
    for (const auto& [file, bytes] : folder_bytes(dir_)) {
      EXPECT_EQ(bytes.find(sealed_share_), std::string::npos) << "the share sealed under the old key is in " << file;
      EXPECT_EQ(bytes.find(sealed_seed_), std::string::npos) << "the seed sealed under the old key is in " << file;
      EXPECT_EQ(bytes.find(old_hex), std::string::npos) << "the old master key is in " << file;
    }
  }

  SecretBytes old_key_, seed_;
  const Bytes session_ = Bytes(32, 0x5a);
  std::string sealed_share_, sealed_seed_;
};

TEST_F(RotationTest, ReSealsEverySecretAndTheOldKeyOpensNothing) {
  auto count = rotate_master_key(dir_);
  ASSERT_TRUE(count.ok()) << count.error().message;
  EXPECT_EQ(count->key_shares, 2);
  EXPECT_EQ(count->ceremony_seeds, 1);
  expect_rotated();
  EXPECT_EQ(fs::status(dir_ / "master.key").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(RotationTest, AnInterruptedRotationBlocksTheNodeUntilItIsRunAgain) {
  // Interrupted after choosing the new key, before re-sealing.
  SecretBytes next(32);
  SeededRng(vigil::test::test_seed() + 94).fill(next.mutable_span());
  {
    std::ofstream out(dir_ / "master.key.next");
    out << to_hex(next.span()) << "\n";
  }
  fs::permissions(dir_ / "master.key.next", fs::perms::owner_read | fs::perms::owner_write);
  auto blocked = load_master_key(dir_);
  ASSERT_FALSE(blocked.ok());
  EXPECT_NE(blocked.error().message.find("rotate-master-key"), std::string::npos) << blocked.error().message;
  ASSERT_TRUE(rotate_master_key(dir_).ok());
  expect_rotated();
  EXPECT_EQ(to_hex(load_master_key(dir_)->span()), to_hex(next.span())) << "the rotation finished with its chosen key";
}

TEST_F(RotationTest, ARotationInterruptedAfterItsCommitFinishes) {
  SecretBytes next(32);
  SeededRng(vigil::test::test_seed() + 95).fill(next.mutable_span());
  {
    auto store = Store::open(dir_ / "vigil.db", old_key_.clone()).value();
    ASSERT_TRUE(store->reseal_under(next.clone()).ok());
  }
  {
    std::ofstream out(dir_ / "master.key.next");
    out << to_hex(next.span()) << "\n";
  }
  fs::permissions(dir_ / "master.key.next", fs::perms::owner_read | fs::perms::owner_write);
  auto count = rotate_master_key(dir_);
  ASSERT_TRUE(count.ok()) << count.error().message;
  EXPECT_EQ(count->key_shares, 2);
  expect_rotated();
}

TEST_F(RotationTest, RefusedWhileTheFolderIsInUseOrTheKeyComesFromTheEnvironment) {
  {
    auto lock = DataDirLock::acquire(dir_);
    ASSERT_TRUE(lock.ok());
    auto refused = rotate_master_key(dir_);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("in use"), std::string::npos) << refused.error().message;
    EXPECT_FALSE(DataDirLock::acquire(dir_).ok()) << "a second holder";
  }
  ::setenv("VIGIL_MASTER_KEY", to_hex(old_key_.span()).c_str(), 1);
  auto refused = rotate_master_key(dir_);
  ::unsetenv("VIGIL_MASTER_KEY");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("VIGIL_MASTER_KEY"), std::string::npos);
  EXPECT_EQ(to_hex(load_master_key(dir_)->span()), to_hex(old_key_.span())) << "nothing changed";
  ASSERT_TRUE(rotate_master_key(dir_).ok()) << "the lock went with its holder";
  expect_rotated();
}

TEST_F(RotationTest, AWrongMasterKeyRotatesNothingAndTheRightOneFinishes) {
  auto write_master_key = [&](const std::string& hex) {
    std::ofstream out(dir_ / "master.key", std::ios::trunc);
    out << hex << "\n";
  };
  write_master_key(std::string(64, 'c'));
  auto refused = rotate_master_key(dir_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kVerificationFailed) << refused.error().message;
  EXPECT_NE(refused.error().message.find("run this again"), std::string::npos) << refused.error().message;
  {
    auto store = Store::open(dir_ / "vigil.db", old_key_.clone()).value();
    EXPECT_TRUE(store->latest_key().ok()) << "the data is still sealed under the key it was";
  }
  write_master_key(to_hex(old_key_.span()));
  ASSERT_TRUE(rotate_master_key(dir_).ok());
  expect_rotated();
}

}  // namespace
}  // namespace vigil::node
