// A real local cluster: vigild processes on loopback started by
// `vigil cluster up`, recovery with nodes killed and restarted, the whole
// story of a protected secret with the audit chains verified, and malformed
// requests against the real HTTP server.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include <utility>

#include <boost/asio.hpp>

#include <google/protobuf/util/json_util.h>

#include "cluster_file.h"
#include "http.h"
#include "keys.h"
#include "proto/codec.h"
#include "support/test_support.h"
#include "tools/run_cli.h"
#include "vigil/client.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

using test::CliRun;
using test::run_cli;

// The line of `output` that starts with `start`, or "".
std::string line_of(const std::string& output, const std::string& start) {
  const auto at = output.find(start);
  return at == std::string::npos ? "" : output.substr(at, output.find('\n', at) - at);
}

class ClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("vigil-cluster-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    auto r = run_cli("cluster up --dir " + dir_.string() + " --n 5 --t 3");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static void TearDownTestSuite() {
    run_cli("cluster down --dir " + dir_.string());
    fs::remove_all(dir_);
  }
  static ClusterFile cluster() { return load_cluster(dir_).value(); }
  static std::string path(const std::string& name) { return (dir_ / name).string(); }
  static CliRun decrypt(const std::string& out) {
    return run_cli("decrypt --cluster " + dir_.string() + " --ciphertext " + path("secret.ct") + " --force --out " +
                   path(out) + " --timeout-ms 2000");
  }
  static std::string slurp(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static inline fs::path dir_;
};

// cluster.json's nodes joining a resharing: kept apart from the
// description, written back as read, and refused naming the problem when
// malformed or clashing with a member.
TEST(ClusterFileTest, JoiningNodesRoundTripAndMalformedOnesAreRefused) {
  const std::string head =
      R"({"curve": "ristretto255", "threshold": 1, "nodes": [{"index": 1, "api": "http://a", "pid": 7, "dir": "node1"}])";
  auto parsed = parse_cluster_file(
      head + R"(, "joining": [{"index": 2, "api": "http://b", "peer": "127.0.0.1:9", "pid": 8, "dir": "node2"}]})",
      "c.json");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->joining.size(), 1u);
  EXPECT_EQ(parsed->description.nodes.size(), 1u);
  EXPECT_EQ(parsed->joining[0].endpoint.api, "http://b");
  EXPECT_EQ(parsed->process_of(2)->pid, 8);
  EXPECT_TRUE(parsed->is_joining(2));
  EXPECT_FALSE(parsed->is_joining(1));
  EXPECT_EQ(parsed->all_nodes().size(), 2u);

  const fs::path dir = fs::temp_directory_path() / ("vigil-cluster-file-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  ASSERT_TRUE(save_cluster(dir, *parsed).ok());
  const ClusterFile again = load_cluster(dir).value();
  ASSERT_EQ(again.joining.size(), 1u);
  EXPECT_EQ(again.joining[0].endpoint.index, 2u);
  EXPECT_EQ(again.joining[0].process.peer, "127.0.0.1:9");
  EXPECT_EQ(again.joining[0].process.dir, "node2");
  ClusterFile admitted = again;
  admitted.admit_joining();
  EXPECT_TRUE(admitted.joining.empty());
  ASSERT_EQ(admitted.description.nodes.size(), 2u);
  EXPECT_EQ(admitted.processes[1].pid, 8);
  fs::remove_all(dir);

  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"(, "joining": {"index": 2}})", "joining: must be an array of nodes"},
      {R"(, "joining": [{"index": 0, "api": "x"}]})", "joining: index 0 is 0, too large or repeated"},
      {R"(, "joining": [{"index": 1, "api": "x"}]})", "joining: index 1 is 0, too large or repeated"},
      {R"(, "joining": [{"index": 3, "api": "x"}, {"index": 3, "api": "y"}]})",
       "joining: index 3 is 0, too large or repeated"},
      {R"(, "joining": [{"index": 99999, "api": "x"}]})", "joining: index 99999 is 0, too large or repeated"},
      {R"(, "joining": [{"index": 2}]})", "c.json: "},
      {R"(, "joining": [{"index": "two", "api": "x"}]})", "c.json: "},
  };
  for (const auto& [tail, message] : bad) {
    auto r = parse_cluster_file(head + tail, "c.json");
    ASSERT_FALSE(r.ok()) << tail;
    EXPECT_EQ(r.error().code, ErrorCode::kBadEncoding) << tail;
    EXPECT_NE(r.error().message.find(message), std::string::npos) << r.error().message;
  }
}

TEST_F(ClusterTest, ClusterJsonDescribesEveryNode) {
  auto j = nlohmann::json::parse(slurp(path("cluster.json")));
  EXPECT_EQ(j["threshold"], 3);
  EXPECT_EQ(j["curve"], "ristretto255");
  ASSERT_EQ(j["nodes"].size(), 5u);
  for (const auto& n : j["nodes"]) {
    EXPECT_TRUE(n.contains("index") && n.contains("api") && n.contains("peer") && n.contains("pid"));
    EXPECT_GT(n["pid"].get<int>(), 0);
  }
  EXPECT_EQ(run_cli("cluster status --dir " + dir_.string()).exit_code, 0);
}

TEST_F(ClusterTest, DecryptsWithTwoNodesDownFailsWithThreeAndRecoversAfterRestart) {
  std::ofstream(path("secret.txt")) << "wallet key 0xabcdef";
  ASSERT_EQ(run_cli("encrypt --cluster " + dir_.string() + " --in " + path("secret.txt") + " --force --out " +
                    path("secret.ct"))
                .exit_code,
            0);
  auto r = decrypt("out1.txt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(slurp(path("out1.txt")), "wallet key 0xabcdef");

  auto c = cluster();
  ::kill(c.processes[0].pid, SIGKILL);
  ::kill(c.processes[2].pid, SIGKILL);
  r = decrypt("out2.txt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(slurp(path("out2.txt")), "wallet key 0xabcdef");
  EXPECT_NE(r.output.find("node 1: unreachable"), std::string::npos) << r.output;

  ::kill(c.processes[4].pid, SIGKILL);
  r = decrypt("out3.txt");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  for (const char* node : {"node 1: unreachable", "node 3: unreachable", "node 5: unreachable"}) {
    EXPECT_NE(r.output.find(node), std::string::npos) << r.output;
  }
  EXPECT_EQ(run_cli("cluster status --dir " + dir_.string()).exit_code, 1);

  // A killed node comes back from its data folder with its share intact.
  for (unsigned i : {1u, 3u, 5u}) {
    auto restarted = run_cli("cluster restart --dir " + dir_.string() + " --node " + std::to_string(i));
    ASSERT_EQ(restarted.exit_code, 0) << restarted.output;
  }
  ::kill(cluster().processes[1].pid, SIGKILL);
  ::kill(cluster().processes[3].pid, SIGKILL);
  r = decrypt("out4.txt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(slurp(path("out4.txt")), "wallet key 0xabcdef");
  for (unsigned i : {2u, 4u}) {
    ASSERT_EQ(run_cli("cluster restart --dir " + dir_.string() + " --node " + std::to_string(i)).exit_code, 0);
  }
}

// The mission over real vigild processes: an enclave protects its wallet
// key under "silent for 30 s, then the admin"; while it is alive the admin
// is refused by every node, an intruder always is, and once it has been
// silent the admin recovers it; every node's audit chain verifies, and a
// tampered one is named. The enclave's clock is injected (its registration
// is dated 45 s back, within the nodes' allowed skew), so no test waits out
// the timeout.
TEST_F(ClusterTest, TheMissionOverRealNodes) {
  for (const char* k : {"enclave", "admin", "intruder"}) {
    ASSERT_EQ(run_cli("keygen --type ed25519 --force --out " + path(std::string(k) + ".key")).exit_code, 0);
  }
  const auto enclave = read_signing_key_file(path("enclave.key")).value();
  const auto admin = read_signing_key_file(path("admin.key")).value();
  Policy policy;
  policy.enclave_key = enclave.public_key;
  policy.any_of.push_back(PolicyGroup{30'000, Requesters{1, {admin.public_key}}, {}, {}, {}});

  // Alive: protected and heartbeating with the real clock.
  std::ofstream(path("alive.txt")) << "still in use";
  auto r = run_cli("protect --cluster " + dir_.string() + " --secret-file " + path("alive.txt") + " --enclave-key " +
                   path("enclave.key") + " --requester " + path("admin.key.pub") + " --silence 30s --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string alive_id = nlohmann::json::parse(r.output)["key_id"].get<std::string>();
  r = run_cli("heartbeat --cluster " + dir_.string() + " --key-id " + alive_id + " --enclave-key " +
              path("enclave.key"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("nodes 1, 2, 3, 4, 5 took it"), std::string::npos) << r.output;
  r = run_cli("recover --cluster " + dir_.string() + " --key-id " + alive_id + " --requester-key " + path("admin.key") +
              " --force --out " + path("early.txt"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_FALSE(fs::exists(path("early.txt")));
  for (int i = 1; i <= 5; ++i) {
    EXPECT_NE(r.output.find("node " + std::to_string(i) + ": enclave_alive"), std::string::npos) << r.output;
  }

  // Silent: last heard from 45 s ago by the enclave's clock (a heartbeat it
  // dated then, within the nodes' allowed skew).
  struct Behind final : Clock {
    std::int64_t now_unix_ms() const override { return SystemClock().now_unix_ms() - 45'000; }
  } behind;
  SystemClock now;
  auto vault = client::ClusterClient<Ristretto255>::create(cluster().description, http(), system_rng(), now).value();
  auto p = vault.protect(enclave, policy, as_bytes("the wallet key"));
  ASSERT_TRUE(p.ok()) << p.error().message;
  auto dated = client::ClusterClient<Ristretto255>::create(cluster().description, http(), system_rng(), behind).value();
  auto beat = dated.heartbeat(enclave, p->key_id, 1);
  ASSERT_TRUE(beat.ok()) << beat.error().message;
  const std::string silent_id = to_hex(p->key_id);
  r = run_cli("recover --cluster " + dir_.string() + " --key-id " + silent_id + " --requester-key " +
              path("intruder.key") + " --force --out " + path("stolen.txt"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("node 5: not_authorised"), std::string::npos) << r.output;
  r = run_cli("recover --cluster " + dir_.string() + " --key-id " + silent_id + " --requester-key " +
              path("admin.key") + " --force --out " + path("recovered.txt"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(slurp(path("recovered.txt")), "the wallet key");

  r = run_cli("audit verify --cluster " + dir_.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Every node's chain holds its decisions so far (the intruder's requests named no requester: no decision).
  EXPECT_NE(line_of(r.output, "node 1: ").find("entries, chain and signatures intact"), std::string::npos) << r.output;

  // Node 2's log rewritten on its disk (an entry's outcome changed): named, and the others still verify.
  auto c = cluster();
  ::kill(c.processes[1].pid, SIGTERM);
  ::waitpid(c.processes[1].pid, nullptr, 0);
  for (int tries = 0; tries < 100 && ::kill(c.processes[1].pid, 0) == 0; ++tries) ::usleep(20'000);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / c.processes[1].dir / "vigil.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* read = nullptr;
    sqlite3_prepare_v2(db, "SELECT entry FROM audit_log WHERE seq = 2", -1, &read, nullptr);
    ASSERT_EQ(sqlite3_step(read), SQLITE_ROW);
    v1::AuditEntry entry;
    ASSERT_TRUE(entry.ParseFromArray(sqlite3_column_blob(read, 0), sqlite3_column_bytes(read, 0)));
    sqlite3_finalize(read);
    entry.set_outcome("not_authorised");  // a release hidden as a refusal
    const std::string bytes = entry.SerializeAsString();
    sqlite3_stmt* write = nullptr;
    sqlite3_prepare_v2(db, "UPDATE audit_log SET entry = ? WHERE seq = 2", -1, &write, nullptr);
    sqlite3_bind_blob(write, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(write), SQLITE_DONE);
    sqlite3_finalize(write);
    sqlite3_close(db);
  }
  ASSERT_EQ(run_cli("cluster restart --dir " + dir_.string() + " --node 2").exit_code, 0);
  r = run_cli("audit verify --cluster " + dir_.string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("node 2: FAILED: audit entry 2: the node's signature does not verify"), std::string::npos)
      << r.output;
  EXPECT_NE(line_of(r.output, "node 3: ").find("chain and signatures intact"), std::string::npos) << r.output;
}

// Gossip over the real TLS peer links: a node down while a secret is
// registered learns it when it restarts, and a heartbeat sent to one node
// only keeps every node from releasing.
TEST_F(ClusterTest, HeartbeatsToOneNodeReachEveryNodeAndARestartedNodeCatchesUp) {
  for (const char* k : {"enclave", "admin"}) {
    ASSERT_EQ(run_cli("keygen --type ed25519 --force --out " + path(std::string("g-") + k + ".key")).exit_code, 0);
  }
  const auto enclave = read_signing_key_file(path("g-enclave.key")).value();
  const auto admin = read_signing_key_file(path("g-admin.key")).value();
  Policy policy;
  policy.enclave_key = enclave.public_key;
  policy.any_of.push_back(PolicyGroup{30'000, Requesters{1, {admin.public_key}}, {}, {}, {}});

  auto c = cluster();
  ::kill(c.processes[4].pid, SIGKILL);
  ::waitpid(c.processes[4].pid, nullptr, 0);
  // Registered 45 s ago by the enclave's clock: silent past its 30 s already.
  struct Behind final : Clock {
    std::int64_t now_unix_ms() const override { return SystemClock().now_unix_ms() - 45'000; }
  } behind;
  auto vault = client::ClusterClient<Ristretto255>::create(c.description, http(), system_rng(), behind).value();
  auto p = vault.protect(enclave, policy, as_bytes("gossiped"), {milliseconds(1000)});
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->accepted, (std::vector<ParticipantIndex>{1, 2, 3, 4}));
  const std::string key_id = to_hex(p->key_id);
  ASSERT_EQ(run_cli("cluster restart --dir " + dir_.string() + " --node 5").exit_code, 0);

  // One heartbeat, to node 1 only.
  auto r = run_cli("heartbeat --nodes " + c.description.nodes[0].api + " --key-id " + key_id + " --enclave-key " +
                   path("g-enclave.key"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("nodes 1 took it"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("only 1 of the 3 nodes that keep the secret locked on their own took it"), std::string::npos)
      << r.output;
  // Every node refuses the admin once the heartbeat has reached it (node 5
  // by catching up); until then a node that has not heard it may grant.
  auto all_refuse = [&r] {
    for (int i = 1; i <= 5; ++i) {
      if (r.output.find("node " + std::to_string(i) + ": enclave_alive") == std::string::npos) return false;
    }
    return true;
  };
  for (int tries = 0; tries < 100; ++tries) {
    r = run_cli("recover --cluster " + dir_.string() + " --key-id " + key_id + " --requester-key " +
                path("g-admin.key") + " --force --out " + path("g-out.txt"));
    if (all_refuse()) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(r.exit_code, 1) << r.output;
  for (int i = 1; i <= 5; ++i) {
    EXPECT_NE(r.output.find("node " + std::to_string(i) + ": enclave_alive"), std::string::npos) << r.output;
  }
}

// max_releases = 1 across restarts of every node: a retry of the granted
// request (its response lost) gets the very same sealed answer from a
// restarted node, uncounted, and any other request is refused "released"
// by the nodes that released, so it cannot gather t shares (2t > n).
TEST_F(ClusterTest, ASecretReleasedOnceStaysReleasedOnceAcrossNodeRestarts) {
  const auto enclave = ed25519_generate(system_rng());
  const auto admin = ed25519_generate(system_rng());
  Policy policy;
  policy.enclave_key = enclave.public_key;
  policy.any_of.push_back(PolicyGroup{30'000, Requesters{1, {admin.public_key}}, {}, 1, {}});
  // Registered 45 s ago by the enclave's clock: silent past its 30 s already.
  struct Behind final : Clock {
    std::int64_t now_unix_ms() const override { return SystemClock().now_unix_ms() - 45'000; }
  } behind;
  auto c = cluster();
  auto dated = client::ClusterClient<Ristretto255>::create(c.description, http(), system_rng(), behind).value();
  auto p = dated.protect(enclave, policy, as_bytes("released once"));
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->accepted.size(), 5u);
  const SystemClock now;
  auto vault = client::ClusterClient<Ristretto255>::create(c.description, http(), system_rng(), now).value();

  const X25519KeyPair response = x25519_generate(system_rng());
  auto request = vault.prepare_recovery(p->key_id, response.public_key);
  request.sign(admin);
  auto first = vault.recover(request, response);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(std::string(first->plaintext.span().begin(), first->plaintext.span().end()), "released once");
  ASSERT_EQ(first->used.size(), 3u);
  const std::string granting = c.description.nodes[first->used[0] - 1].api;
  const std::string body = client::recovery_request_to_json(request);
  auto answer = http().request("POST", granting + "/v1/recoveries", body, milliseconds(5000));
  ASSERT_TRUE(answer.ok() && answer->status == 200) << (answer.ok() ? answer->body : answer.error().message);

  for (int i = 1; i <= 5; ++i) {
    ASSERT_EQ(run_cli("cluster restart --dir " + dir_.string() + " --node " + std::to_string(i)).exit_code, 0);
  }
  auto again = http().request("POST", granting + "/v1/recoveries", body, milliseconds(5000));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->status, 200) << again->body;
  EXPECT_EQ(again->body, answer->body) << "the same sealed share, not a new one";
  auto retried = vault.recover(request, response);
  ASSERT_TRUE(retried.ok()) << retried.error().message;
  EXPECT_EQ(std::string(retried->plaintext.span().begin(), retried->plaintext.span().end()), "released once");

  const X25519KeyPair other_key = x25519_generate(system_rng());
  auto other = vault.prepare_recovery(p->key_id, other_key.public_key);
  other.sign(admin);
  auto refused = vault.recover(other, other_key);
  ASSERT_FALSE(refused.ok());
  for (ParticipantIndex i : first->used) {
    EXPECT_NE(refused.error().message.find("node " + std::to_string(i) + ": released"), std::string::npos)
        << refused.error().message;
  }
  // The granting node's chain, continued across its restart, still verifies.
  auto r = run_cli("audit verify --cluster " + dir_.string());
  const std::string node = "node " + std::to_string(first->used[0]) + ": ";
  EXPECT_NE(line_of(r.output, node).find("chain and signatures intact"), std::string::npos) << r.output;
}

// vigil agent, the enclave's sidecar: it protects the secret once (the key
// id kept in its state file), then heartbeats; a node killed meanwhile is
// named on each beat while the others keep taking them, and the secret
// stays locked.
TEST_F(ClusterTest, TheAgentProtectsOnceAndKeepsHeartbeatingThroughANodeKill) {
  for (const char* k : {"enclave", "admin"}) {
    ASSERT_EQ(run_cli("keygen --type ed25519 --force --out " + path(std::string("a-") + k + ".key")).exit_code, 0);
  }
  std::ofstream(path("a-secret.txt")) << "kept by the agent";
  fs::remove(path("a-secret.txt.vigil.json"));
  const std::string agent = "agent --cluster " + dir_.string() + " --secret-file " + path("a-secret.txt") +
                            " --enclave-key " + path("a-enclave.key") + " --requester " + path("a-admin.key.pub") +
                            " --silence 30s --every 200ms --timeout-ms 1000";
  // Runs for 2.5 s, then SIGTERM; node 3 is killed after 1 s.
  CliRun first;
  std::thread running([&] { first = test::run_cli_for(2.5, agent); });
  std::this_thread::sleep_for(milliseconds(1000));
  const int node3 = cluster().processes[2].pid;
  ::kill(node3, SIGKILL);
  ::waitpid(node3, nullptr, 0);
  running.join();
  EXPECT_NE(first.output.find("agent: protected the secret; nodes 1, 2, 3, 4, 5 hold it"), std::string::npos)
      << first.output;
  EXPECT_NE(first.output.find("nodes 1, 2, 3, 4, 5 took it"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("nodes 1, 2, 4, 5 took it"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("node 3: unreachable"), std::string::npos) << first.output;
  ASSERT_TRUE(fs::exists(path("a-secret.txt.vigil.json")));
  const std::string key_id = nlohmann::json::parse(slurp(path("a-secret.txt.vigil.json")))["key_id"];

  auto r = run_cli("recover --cluster " + dir_.string() + " --key-id " + key_id + " --requester-key " +
                   path("a-admin.key") + " --force --out " + path("a-out.txt"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("enclave_alive"), std::string::npos) << r.output;

  ASSERT_EQ(run_cli("cluster restart --dir " + dir_.string() + " --node 3").exit_code, 0);
  auto again = test::run_cli_for(1, agent);
  EXPECT_NE(again.output.find("agent: the cluster holds this secret under key id " + key_id), std::string::npos)
      << again.output;
  EXPECT_EQ(again.output.find("protected the secret"), std::string::npos) << again.output;
}

TEST_F(ClusterTest, RealServerRefusesMalformedInputAndKeepsServing) {
  const std::string api = cluster().description.nodes[1].api;
  {
    // A declared body over limits.max_request_bytes is refused before it is read.
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    const auto port = static_cast<unsigned short>(std::stoi(api.substr(api.rfind(':') + 1)));
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    const std::string head = "POST /v1/registrations HTTP/1.1\r\nHost: x\r\nContent-Length: 9437184\r\n\r\n";
    boost::asio::write(s, boost::asio::buffer(head));
    std::array<char, 256> buf{};
    boost::system::error_code ec;
    const std::size_t n = s.read_some(boost::asio::buffer(buf), ec);
    EXPECT_NE(std::string(buf.data(), n).find("413"), std::string::npos) << std::string(buf.data(), n);
  }
  auto junk = http_request("POST", api + "/v1/recoveries", "{not json", milliseconds(2000));
  ASSERT_TRUE(junk.ok());
  EXPECT_EQ(junk->status, 400u);
  auto wrong_type =
      http_request("POST", api + "/v1/recoveries", "{\"expires_at_unix_ms\": \"soon\"}", milliseconds(2000));
  ASSERT_TRUE(wrong_type.ok());
  EXPECT_EQ(wrong_type->status, 400u);
  auto health = http_request("GET", api + "/healthz", "", milliseconds(2000));
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200u);
}

// A field of /proc/PID/status in KiB ("VmRSS", "VmHWM"), or -1.
long proc_status_kib(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

// Many 8 MiB bodies at once, from six addresses: the node reads only what
// fits limits.max_request_bytes_in_flight (64 MiB: 8 of them; each address
// may hold a quarter) and answers the rest 503 busy unread, so its peak
// memory stays near that budget rather than growing with the number of
// uploads; once they are answered the memory goes back to the system.
TEST_F(ClusterTest, ManyLargeBodiesAtOnceStayWithinTheBudgetAndTheMemoryIsGivenBack) {
#ifdef VIGIL_SANITIZED
  // Unoptimised and instrumented, the node reads 64 MiB of bodies slower
  // than its read deadline allows, and a sanitizer's allocator keeps freed
  // memory: this measures the plain build. The budget's logic is tested in
  // every build by HttpServerTest.BodiesInFlightStayWithinTheBudgetAndEachAddresssShare.
  GTEST_SKIP() << "measured in plain builds only";
#endif
  const auto c = cluster();
  const std::string api = c.description.nodes[2].api;
  const int pid = c.processes[2].pid;
  ASSERT_GT(pid, 0);
  const auto port = static_cast<unsigned short>(std::stoi(api.substr(api.rfind(':') + 1)));
  std::ofstream(fs::path("/proc") / std::to_string(pid) / "clear_refs") << "5";  // restart the peak (VmHWM)
  const long before_kib = proc_status_kib(pid, "VmRSS");
  ASSERT_GT(before_kib, 0);

  constexpr std::size_t kUploads = 24;
  constexpr std::size_t kBody = 8u << 20;  // limits.max_request_bytes
  const std::string head =
      "POST /v1/registrations HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(kBody) + "\r\n\r\n";
  boost::asio::io_context io;
  std::vector<boost::asio::ip::tcp::socket> sockets;
  for (std::size_t i = 0; i < kUploads; ++i) {
    auto& s = sockets.emplace_back(io);
    s.open(boost::asio::ip::tcp::v4());
    s.bind({boost::asio::ip::make_address("127.0.0." + std::to_string(2 + i % 6)), 0});  // six addresses
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    boost::asio::write(s, boost::asio::buffer(head));
  }
  // Every head is read at once: the uploads that do not fit are answered
  // now, and those admitted wait for their bodies.
  std::vector<std::string> answers(kUploads);
  std::vector<bool> admitted(kUploads, true);
  for (std::size_t i = 0; i < kUploads; ++i) sockets[i].non_blocking(true);
  for (int round = 0; round < 200; ++round) {
    std::size_t answered = 0;
    for (std::size_t i = 0; i < kUploads; ++i) {
      std::array<char, 512> buf{};
      boost::system::error_code ec;
      const std::size_t n = sockets[i].read_some(boost::asio::buffer(buf), ec);
      if (n > 0) answers[i] += std::string(buf.data(), n);
      if (!answers[i].empty()) {
        admitted[i] = false;
        ++answered;
      }
    }
    if (answered == kUploads - 8) break;
    std::this_thread::sleep_for(milliseconds(25));
  }
  std::size_t busy = 0;
  for (const auto& a : answers) busy += a.find(" 503 ") != std::string::npos ? 1 : 0;
  EXPECT_EQ(busy, kUploads - 8) << "64 MiB of bodies in flight: 8 of 8 MiB are admitted";
  std::vector<std::thread> uploads;
  std::size_t read_and_refused = 0;
  std::string others;  // what the admitted got instead, if anything
  std::mutex counted;
  for (std::size_t i = 0; i < kUploads; ++i) {
    if (!admitted[i]) continue;
    uploads.emplace_back([&, i] {
      sockets[i].non_blocking(false);
      boost::system::error_code ec;
      boost::asio::write(sockets[i], boost::asio::buffer(std::string(kBody, ' ')), ec);
      std::array<char, 512> buf{};
      const std::size_t n = sockets[i].read_some(boost::asio::buffer(buf), ec);
      const std::string answer(buf.data(), n);
      std::lock_guard lock(counted);
      if (answer.find(" 400 ") != std::string::npos) {
        ++read_and_refused;
      } else {
        others += "[" + answer.substr(0, answer.find('\r')) + " " + ec.message() + "] ";
      }
    });
  }
  for (auto& t : uploads) t.join();
  EXPECT_EQ(read_and_refused, 8u) << "the admitted bodies are read (and are not JSON); instead: " << others;
  auto health = http_request("GET", api + "/healthz", "", milliseconds(2000));
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200u);

  const long peak_kib = proc_status_kib(pid, "VmHWM");
  EXPECT_LT(peak_kib - before_kib, 112 * 1024) << "64 MiB of bodies and their parsing; 24 uploads would be 192 MiB";
  long after_kib = 0;
  for (int i = 0; i < 50; ++i) {  // freed at once; malloc_trim runs every 10 s for the rest
    after_kib = proc_status_kib(pid, "VmRSS");
    if (after_kib - before_kib < 16 * 1024) break;
    std::this_thread::sleep_for(milliseconds(300));
  }
  EXPECT_LT(after_kib - before_kib, 16 * 1024) << "resident before " << before_kib << " KiB, after " << after_kib;
}

}  // namespace
}  // namespace vigil::cli
