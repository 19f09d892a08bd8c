// DKG and resharing over real sockets: vigild processes on loopback started
// by `vigil cluster up`, ceremonies carried by their TLS peer links.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "ceremony_client.h"
#include "client/node_api.h"
#include "cluster_file.h"
#include "http.h"
#include "keys.h"
#include "local_cluster.h"
#include "node/store/store.h"
#include "proto/ceremony.h"
#include "support/data_folder.h"
#include "support/test_support.h"
#include "tools/link_cutter.h"
#include "tools/run_cli.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using test::run_cli;

class CeremonyCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vigil-ceremony-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override {
    run_cli("cluster down --dir " + dir_.string());
    fs::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string slurp(const std::string& name) const {
    std::ifstream in(path(name), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // Protects `text` for the cluster's requester (encrypt --cluster); `ct`
  // receives its key id.
  void encrypt(const std::string& text, const std::string& ct) {
    std::ofstream(path("plain.txt")) << text;
    auto r =
        run_cli("encrypt --cluster " + dir_.string() + " --in " + path("plain.txt") + " --force --out " + path(ct));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    last_protected_ = ct;
  }
  std::string decrypt(const std::string& ct) {
    auto r = run_cli("decrypt --cluster " + dir_.string() + " --ciphertext " + path(ct) + " --force --out " +
                     path("out.txt") + " --timeout-ms 3000");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return slurp("out.txt");
  }
  // `vigil cluster up --no-key` with n nodes, once every peer link is up.
  ClusterFile up_without_key(unsigned n, unsigned t) {
    auto up = run_cli("cluster up --no-key --dir " + dir_.string() + " --n " + std::to_string(n) + " --t " +
                      std::to_string(t));
    EXPECT_EQ(up.exit_code, 0) << up.output;
    ClusterFile cluster = load_cluster(dir_).value();
    std::ostringstream quiet;
    EXPECT_TRUE(wait_for_links(cluster.description.nodes, milliseconds(30000), quiet).ok());
    return cluster;
  }
  // A recovery of what `encrypt` last protected, signed for key epoch
  // `asked`, is refused by a node serving `served`: shares of two epochs
  // never combine.
  void expect_epoch_refused(const std::string& api, std::uint32_t asked, std::uint32_t served) {
    auto requester = read_signing_key_file(path("requester.key")).value();
    auto protected_file = nlohmann::json::parse(slurp(last_protected_));
    client::RecoveryRequest request;
    const Bytes key_id = from_hex(protected_file["key_id"].get<std::string>()).value();
    std::copy(key_id.begin(), key_id.end(), request.key_id.begin());
    request.response_key.fill('k');
    request.nonce.assign(16, 'n');
    request.expires_at_unix_ms =
        std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count() + 30000;
    request.key_epoch = asked;
    request.sign(requester);
    auto refused =
        http_request("POST", api + "/v1/recoveries", client::recovery_request_to_json(request), milliseconds(2000));
    ASSERT_TRUE(refused.ok());
    EXPECT_EQ(refused->status, 403u);
    EXPECT_NE(refused->body.find("wrong_epoch"), std::string::npos) << refused->body;
    EXPECT_NE(refused->body.find("serves key epoch " + std::to_string(served)), std::string::npos) << refused->body;
  }
  // A node's status once its ceremony is over (or after 15 s).
  static v1::StatusResponse status_once_over(const client::NodeEndpoint& node) {
    v1::StatusResponse s;
    for (int tries = 0; tries < 600; ++tries) {
      s = fetch_status(node.api, milliseconds(2000)).value();
      if (s.ceremony().state() != "running") break;
      std::this_thread::sleep_for(milliseconds(25));
    }
    return s;
  }
  fs::path dir_;
  std::string last_protected_;
};

TEST_F(CeremonyCluster, DkgOfSevenThenReshareToNineKeepsTheKey) {
  auto up = run_cli("cluster up --dir " + dir_.string() + " --n 7 --t 5");
  ASSERT_EQ(up.exit_code, 0) << up.output;
  EXPECT_NE(up.output.find("DKG 5-of-7"), std::string::npos) << up.output;
  const ClusterFile before = load_cluster(dir_).value();
  EXPECT_EQ(before.description.key_epoch, 1u);
  ASSERT_EQ(before.description.public_shares.size(), 7u);
  for (const auto& node : before.description.nodes) {
    auto s = fetch_status(node.api, milliseconds(2000));
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->ceremony().state(), "done") << "node " << node.index;
    EXPECT_EQ(to_hex(as_bytes(s->group_public_key())), to_hex(before.description.group_public_key));
  }
  encrypt("made before the resharing", "old.ct");
  EXPECT_EQ(decrypt("old.ct"), "made before the resharing");

  auto reshare = run_cli("cluster reshare --dir " + dir_.string() + " --n 9 --t 6");
  ASSERT_EQ(reshare.exit_code, 0) << reshare.output;
  const ClusterFile after = load_cluster(dir_).value();
  EXPECT_EQ(after.description.group_public_key, before.description.group_public_key);
  EXPECT_EQ(after.description.key_epoch, 2u);
  EXPECT_EQ(after.description.threshold, 6u);
  ASSERT_EQ(after.description.nodes.size(), 9u);
  EXPECT_NE(after.description.public_shares,
            std::vector<Bytes>(before.description.public_shares.begin(), before.description.public_shares.end()));
  EXPECT_EQ(decrypt("old.ct"), "made before the resharing");

  // Nodes 8 and 9 did not exist when the secret was registered; they
  // learned it from their peers, and serve its recovery.
  const std::string key_id = nlohmann::json::parse(slurp("old.ct"))["key_id"].get<std::string>();
  std::string urls;
  for (std::size_t i = 3; i < 9; ++i) urls += (urls.empty() ? "" : ",") + after.description.nodes[i].api;
  test::CliRun recovered{1, ""};
  for (int tries = 0; tries < 100 && recovered.exit_code != 0; ++tries) {
    if (tries > 0) std::this_thread::sleep_for(milliseconds(100));
    recovered = run_cli("recover --nodes " + urls + " --key-id " + key_id + " --requester-key " +
                        path("requester.key") + " --force --out " + path("new-nodes.txt"));
  }
  ASSERT_EQ(recovered.exit_code, 0) << recovered.output;
  EXPECT_NE(recovered.output.find("from nodes 4, 5, 6, 7, 8, 9"), std::string::npos) << recovered.output;
  EXPECT_EQ(slurp("new-nodes.txt"), "made before the resharing");

  // Epochs never mix: a request for the old epoch's shares is refused.
  expect_epoch_refused(after.description.nodes[0].api, 1, 2);
}

// A coordinator killed while it adds nodes: cluster.json lists them as
// joining (it describes the key the cluster still serves, which decrypts),
// `cluster status` says so, a second `cluster reshare` takes them up and
// finishes, and `cluster down` stops every process either run started.
TEST_F(CeremonyCluster, ACoordinatorKilledWhileAddingNodesLeavesThemListedAndARetryFinishes) {
  auto up = run_cli("cluster up --dir " + dir_.string() + " --n 3 --t 2");
  ASSERT_EQ(up.exit_code, 0) << up.output;
  const Bytes group_key = load_cluster(dir_).value().description.group_public_key;
  encrypt("made before the resharing", "ct");

  const std::string dir = dir_.string();
  const pid_t coordinator = ::fork();
  ASSERT_GE(coordinator, 0);
  if (coordinator == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execl(VIGIL_CLI_PATH, VIGIL_CLI_PATH, "cluster", "reshare", "--dir", dir.c_str(), "--n", "5", "--t", "3",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Killed once node 4 runs: node 5 is listed but not started.
  std::optional<ClusterFile> cut;
  for (int tries = 0; tries < 1000; ++tries) {
    auto c = load_cluster(dir_);
    if (c && c->joining.size() == 2 && c->joining[0].process.pid > 0) {
      cut = *c;
      break;
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  ::kill(coordinator, SIGKILL);
  ::waitpid(coordinator, nullptr, 0);
  ASSERT_TRUE(cut.has_value()) << "the coordinator never listed nodes 4 and 5";
  const ClusterFile left = load_cluster(dir_).value();
  ASSERT_EQ(left.joining.size(), 2u);
  EXPECT_EQ(left.joining[0].endpoint.index, 4u);
  EXPECT_EQ(left.joining[1].endpoint.index, 5u);
  EXPECT_EQ(left.description.nodes.size(), 3u);
  EXPECT_EQ(left.description.key_epoch, 1u);
  std::vector<int> every_pid;
  for (const auto& p : left.processes) every_pid.push_back(p.pid);
  for (const auto& j : left.joining) every_pid.push_back(j.process.pid);
  EXPECT_EQ(decrypt("ct"), "made before the resharing");
  auto status = run_cli("cluster status --dir " + dir);
  EXPECT_NE(status.output.find("(joining: an unfinished resharing added it)"), std::string::npos) << status.output;

  auto smaller = run_cli("cluster reshare --dir " + dir + " --n 4 --t 3");
  EXPECT_EQ(smaller.exit_code, 1) << smaller.output;
  EXPECT_NE(smaller.output.find("nodes 4..5 joined a resharing that did not finish: reshare to at least 5 nodes"),
            std::string::npos)
      << smaller.output;
  auto again = run_cli("cluster reshare --dir " + dir + " --n 5 --t 3");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  const ClusterFile after = load_cluster(dir_).value();
  EXPECT_TRUE(after.joining.empty());
  ASSERT_EQ(after.description.nodes.size(), 5u);
  EXPECT_EQ(after.description.key_epoch, 2u);
  EXPECT_EQ(after.description.group_public_key, group_key);
  EXPECT_EQ(decrypt("ct"), "made before the resharing");
  for (const auto& p : after.processes) every_pid.push_back(p.pid);

  auto down = run_cli("cluster down --dir " + dir);
  EXPECT_EQ(down.exit_code, 0) << down.output;
  for (const int pid : every_pid) EXPECT_FALSE(process_alive(pid)) << "vigild " << pid << " still runs";
  // Nor one the killed coordinator started without recording it.
  auto left_running = test::run_command("pgrep -a -f '[v]igild --config " + dir + "/'");
  EXPECT_NE(left_running.exit_code, 0) << left_running.output;
}

TEST_F(CeremonyCluster, NodeKilledDuringTheDkgResumesFromItsJournal) {
  ClusterFile cluster = up_without_key(5, 3);
  const std::vector<client::NodeEndpoint> nodes = cluster.description.nodes;

  const auto op = read_signing_key_file(path("operator.key")).value();
  const v1::CeremonyPlan plan = dkg_plan(CurveId::kRistretto255, 5, 3, milliseconds(60000));
  const std::string body = client::to_json(proto::sign_ceremony_plan(plan, op));
  // Nodes 1-4 start; nothing can finish while node 5 has not dealt.
  for (unsigned i = 0; i < 4; ++i) {
    auto r = http_request("POST", nodes[i].api + "/v1/ceremonies", body, milliseconds(5000));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->status, 200u) << r->body;
  }
  auto waiting_on_5 = [&](const client::NodeEndpoint& n) {
    auto s = fetch_status(n.api, milliseconds(2000));
    return s.ok() && s->ceremony().phase() == "deal" && s->ceremony().waiting_for_size() == 1 &&
           s->ceremony().waiting_for(0) == 5;
  };
  for (int tries = 0; tries < 200 && !waiting_on_5(nodes[2]); ++tries) std::this_thread::sleep_for(milliseconds(25));
  ASSERT_TRUE(waiting_on_5(nodes[2]));

  // Kill node 3 in the middle of the dealing phase, and start it again.
  ASSERT_EQ(::kill(cluster.processes[2].pid, SIGKILL), 0);
  auto restarted = run_cli("cluster restart --dir " + dir_.string() + " --node 3");
  ASSERT_EQ(restarted.exit_code, 0) << restarted.output;
  for (int tries = 0; tries < 200 && !waiting_on_5(nodes[2]); ++tries) std::this_thread::sleep_for(milliseconds(25));
  EXPECT_TRUE(waiting_on_5(nodes[2])) << "node 3 resumed its ceremony from the journal";
  auto log = std::ifstream(path("node3/vigild.log"));
  std::string text((std::istreambuf_iterator<char>(log)), {});
  EXPECT_NE(text.find("resumed from"), std::string::npos) << text;

  // Node 5 joins; everyone finishes with the same key, node 3 included.
  auto r = http_request("POST", nodes[4].api + "/v1/ceremonies", body, milliseconds(5000));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200u) << r->body;
  std::string group_key;
  for (const auto& n : nodes) {
    const v1::StatusResponse s = status_once_over(n);
    ASSERT_EQ(s.ceremony().state(), "done") << "node " << n.index << ": " << s.ceremony().error();
    EXPECT_EQ(s.ceremony().excluded_size(), 0) << "node " << n.index;
    if (group_key.empty()) group_key = s.group_public_key();
    EXPECT_EQ(s.group_public_key(), group_key) << "node " << n.index;
    EXPECT_EQ(s.key_epoch(), 1u);
  }

  // The key works: record it (in cluster.json as the restart left it, with
  // node 3's new process, so that cluster down stops it) and decrypt.
  cluster = load_cluster(dir_).value();
  ASSERT_TRUE(record_key(cluster, fetch_status(nodes[0].api, milliseconds(2000)).value()).ok());
  ASSERT_TRUE(save_cluster(dir_, cluster).ok());
  encrypt("survived a crash mid-DKG", "ct");
  EXPECT_EQ(decrypt("ct"), "survived a crash mid-DKG");
}

// The review's finding over real processes: node 5's links to nodes 3 and 4
// are down for the whole DKG, so its dealing (and everything else it says)
// reaches them only through nodes 1 and 2. Every node still ends with the
// same key, which works without node 5.
TEST_F(CeremonyCluster, NodeCutOffFromTwoPeersDuringTheDkgStillLeavesOneKey) {
  auto up = run_cli("cluster up --no-key --dir " + dir_.string() + " --n 5 --t 3");
  ASSERT_EQ(up.exit_code, 0) << up.output;
  ClusterFile cluster = load_cluster(dir_).value();
  const std::vector<client::NodeEndpoint> nodes = cluster.description.nodes;
  // Nodes 3 and 4 dial node 5 (the lower index dials): through the cutter.
  const std::string node5_peer = cluster.processes[4].peer;
  test::LinkCutter cutter(static_cast<std::uint16_t>(std::stoi(node5_peer.substr(node5_peer.rfind(':') + 1))));
  for (unsigned i : {3u, 4u}) {
    test::reroute_peer(dir_ / cluster.processes[i - 1].dir / "node.toml", 5, cutter.port());
    auto r = run_cli("cluster restart --dir " + dir_.string() + " --node " + std::to_string(i));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  std::ostringstream quiet;
  ASSERT_TRUE(wait_for_links(nodes, milliseconds(30000), quiet).ok()) << "links through the cutter came up";
  cutter.cut();
  auto sees_5 = [&](const client::NodeEndpoint& n) {
    auto s = fetch_status(n.api, milliseconds(2000));
    if (!s.ok()) return true;
    for (const auto& p : s->peers()) {
      if (p.index() == 5) return p.connected();
    }
    return false;
  };
  for (int tries = 0; tries < 200 && (sees_5(nodes[2]) || sees_5(nodes[3])); ++tries) {
    std::this_thread::sleep_for(milliseconds(25));
  }
  ASSERT_FALSE(sees_5(nodes[2]) || sees_5(nodes[3])) << "the cut took";

  const auto op = read_signing_key_file(path("operator.key")).value();
  const v1::CeremonyPlan plan = dkg_plan(CurveId::kRistretto255, 5, 3, milliseconds(2000));
  const std::string body = client::to_json(proto::sign_ceremony_plan(plan, op));
  for (const auto& n : nodes) {
    auto r = http_request("POST", n.api + "/v1/ceremonies", body, milliseconds(5000));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->status, 200u) << r->body;
  }
  std::string group_key, transcript;
  for (const auto& n : nodes) {
    const v1::StatusResponse s = status_once_over(n);
    ASSERT_EQ(s.ceremony().state(), "done") << "node " << n.index << ": " << s.ceremony().error();
    EXPECT_EQ(s.ceremony().excluded_size(), 0) << "node " << n.index << ": node 5's dealing counts everywhere";
    if (group_key.empty()) group_key = s.group_public_key(), transcript = s.ceremony().transcript_digest();
    EXPECT_EQ(s.group_public_key(), group_key) << "node " << n.index;
    EXPECT_EQ(s.ceremony().transcript_digest(), transcript) << "node " << n.index;
    EXPECT_EQ(s.key_epoch(), 1u) << "node " << n.index;
  }

  // The key works, and works without node 5.
  cluster = load_cluster(dir_).value();
  ASSERT_TRUE(record_key(cluster, fetch_status(nodes[0].api, milliseconds(2000)).value()).ok());
  ASSERT_TRUE(save_cluster(dir_, cluster).ok());
  encrypt("dealt around a cut link", "ct");
  ASSERT_EQ(::kill(cluster.processes[4].pid, SIGKILL), 0);
  EXPECT_EQ(decrypt("ct"), "dealt around a cut link");
}

TEST_F(CeremonyCluster, RefusesPlansNotSignedByAnOperator) {
  auto up = run_cli("cluster up --no-key --dir " + dir_.string() + " --n 2 --t 2");
  ASSERT_EQ(up.exit_code, 0) << up.output;
  const ClusterFile cluster = load_cluster(dir_).value();
  SeededRng rng(vigil::test::test_seed());
  const auto stranger = ed25519_generate(rng);
  const v1::CeremonyPlan plan = dkg_plan(CurveId::kRistretto255, 2, 2, milliseconds(5000));
  auto r = http_request("POST", cluster.description.nodes[0].api + "/v1/ceremonies",
                        client::to_json(proto::sign_ceremony_plan(plan, stranger)), milliseconds(5000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 403u) << r->body;
  EXPECT_NE(r->body.find("[[operators]]"), std::string::npos) << r->body;
  auto junk = http_request("POST", cluster.description.nodes[0].api + "/v1/ceremonies", "{\"plan\": \"AAAA\"}",
                           milliseconds(5000));
  ASSERT_TRUE(junk.ok());
  EXPECT_EQ(junk->status, 400u) << junk->body;
  // The cluster can still run its DKG afterwards.
  auto dkg = run_cli("cluster dkg --dir " + dir_.string() + " --t 2");
  EXPECT_EQ(dkg.exit_code, 0) << dkg.output;
}

}  // namespace
}  // namespace vigil::cli

namespace vigil::cli {
namespace {

TEST_F(CeremonyCluster, CoordinatorCommandsShrinkTheCommitteeAndTheLeaverErasesItsShare) {
  const ClusterFile cluster = up_without_key(3, 2);
  std::string urls;
  for (const auto& n : cluster.description.nodes) urls += (urls.empty() ? "" : ",") + n.api;
  const std::vector<client::NodeEndpoint> nodes = cluster.description.nodes;
  const std::string op = " --operator-key " + path("operator.key");

  auto dkg = run_cli("dkg --nodes " + urls + " --t 2" + op + " --out " + path("deployment"));
  ASSERT_EQ(dkg.exit_code, 0) << dkg.output;
  EXPECT_NE(dkg.output.find("2-of-3 ristretto255 key, epoch 1"), std::string::npos) << dkg.output;
  // Run again, it records the key the nodes already hold.
  auto again = run_cli("dkg --nodes " + urls + " --t 2" + op);
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("already finished DKG session"), std::string::npos) << again.output;

  auto reshare = run_cli("reshare --nodes " + urls + " --n 2 --t 2" + op + " --out " + path("deployment"));
  ASSERT_EQ(reshare.exit_code, 0) << reshare.output;
  auto leaver = fetch_status(cluster.description.nodes[2].api, milliseconds(2000));
  ASSERT_TRUE(leaver.ok());
  EXPECT_EQ(leaver->key_epoch(), 0u) << "node 3 left the committee and holds no share";
  EXPECT_EQ(leaver->ceremony().state(), "done");
  const ClusterFile after = load_cluster(dir_ / "deployment").value();
  EXPECT_EQ(after.description.key_epoch, 2u);
  EXPECT_EQ(after.description.nodes.size(), 2u);
  auto refused = run_cli("dkg --nodes " + urls + " --t 2" + op);
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("already holds a key"), std::string::npos) << refused.output;

  auto missing = run_cli("reshare --nodes " + cluster.description.nodes[0].api + " --n 2 --t 2" + op);
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("node 2 of the new committee is not listed"), std::string::npos) << missing.output;
}

// What a node's store holds while a ceremony runs: the seed in the clear,
// and, as the bytes a file of its folder holds them, the sealed seed and each
// journaled input (small enough to lie on one database page).
struct CeremonySecrets {
  std::vector<std::pair<std::string, std::string>> on_disk;
  std::string seed;
};

CeremonySecrets running_ceremony_secrets(const fs::path& node_dir) {
  CeremonySecrets out;
  auto store = node::Store::open(node_dir / "vigil.db", node::load_master_key(node_dir).value()).value();
  const node::StoredCeremony c = store->latest_ceremony().value().value();
  EXPECT_EQ(c.state, "running");
  out.seed.assign(c.seed.span().begin(), c.seed.span().end());
  out.on_disk.emplace_back("the sealed seed", vigil::test::raw_value(node_dir / "vigil.db",
                                                                     "SELECT sealed_seed FROM ceremonies "
                                                                     "WHERE state = 'running'"));
  for (const Bytes& event : c.events) {
    if (event.size() < 1000) out.on_disk.emplace_back("a journaled input", std::string(event.begin(), event.end()));
  }
  return out;
}

// Node 1's folder after a DKG and after a resharing, read with its master
// key: nothing there yields the seed, the journal, or the old epoch's share,
// and once restarted the node serves no old-epoch share. Then its master key
// is rotated, refused while the node runs.
TEST_F(CeremonyCluster, AFinishedCeremonyLeavesNoSecretOfItInTheDataFolder) {
  ClusterFile cluster = up_without_key(3, 2);
  const std::vector<client::NodeEndpoint> nodes = cluster.description.nodes;
  const auto op = read_signing_key_file(path("operator.key")).value();
  const fs::path node1 = dir_ / "node1";

  // Nodes 1 and 2 get the plan first and wait in the deal phase for node 3,
  // while the test reads node 1's store; then node 3 gets it.
  auto run_held = [&](const v1::CeremonyPlan& plan) {
    const std::string body = client::to_json(proto::sign_ceremony_plan(plan, op));
    auto post = [&](const client::NodeEndpoint& n) {
      auto r = http_request("POST", n.api + "/v1/ceremonies", body, milliseconds(5000));
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r->status, 200u) << r->body;
    };
    post(nodes[0]);
    post(nodes[1]);
    auto waiting_on_3 = [&] {
      auto s = fetch_status(nodes[0].api, milliseconds(2000));
      return s.ok() && s->ceremony().phase() == "deal" && s->ceremony().waiting_for_size() == 1;
    };
    for (int tries = 0; tries < 400 && !waiting_on_3(); ++tries) std::this_thread::sleep_for(milliseconds(25));
    EXPECT_TRUE(waiting_on_3());
    const CeremonySecrets running = running_ceremony_secrets(node1);
    EXPECT_EQ(running.seed.size(), 32u);
    EXPECT_GE(running.on_disk.size(), 2u) << "the sealed seed and at least one journaled input";
    for (const auto& [what, bytes] : running.on_disk) {
      EXPECT_FALSE(vigil::test::files_containing(node1, bytes).empty())
          << what << " is not found while the ceremony runs";
    }
    auto secrets = running.on_disk;
    secrets.emplace_back("the seed", running.seed);
    post(nodes[2]);
    for (const auto& n : nodes) {
      const v1::StatusResponse s = status_once_over(n);
      EXPECT_EQ(s.ceremony().state(), "done") << "node " << n.index << ": " << s.ceremony().error();
    }
    return secrets;
  };
  auto expect_gone = [&](const std::vector<std::pair<std::string, std::string>>& secrets, const char* after) {
    for (const auto& [what, bytes] : secrets) {
      EXPECT_GE(bytes.size(), 32u) << what;
      const auto files = vigil::test::files_containing(node1, bytes);
      EXPECT_TRUE(files.empty()) << what << " is still in " << (files.empty() ? "" : files[0]) << " after " << after;
    }
  };

  const auto dkg_secrets = run_held(dkg_plan(CurveId::kRistretto255, 3, 2, milliseconds(30000)));
  expect_gone(dkg_secrets, "the DKG");

  // The old epoch's share, sealed and in the clear, before the resharing.
  std::vector<std::pair<std::string, std::string>> old_epoch;
  {
    auto store = node::Store::open(node1 / "vigil.db", node::load_master_key(node1).value()).value();
    const v1::StoredKey key = store->latest_key().value().value();
    ASSERT_EQ(key.epoch(), 1u);
    old_epoch.emplace_back("the old share", key.secret_share());
    old_epoch.emplace_back("the old sealed share",
                           vigil::test::raw_value(node1 / "vigil.db", "SELECT sealed FROM key_shares WHERE epoch = 1"));
    EXPECT_FALSE(vigil::test::files_containing(node1, old_epoch.back().second).empty());
  }
  const v1::StatusResponse epoch1 = fetch_status(nodes[0].api, milliseconds(2000)).value();
  auto reshare_secrets = run_held(reshare_plan(epoch1, {1, 2, 3}, 3, 2, milliseconds(30000)).value());
  reshare_secrets.insert(reshare_secrets.end(), old_epoch.begin(), old_epoch.end());
  expect_gone(reshare_secrets, "the resharing");
  expect_gone(dkg_secrets, "the resharing");

  cluster = load_cluster(dir_).value();
  ASSERT_TRUE(record_key(cluster, fetch_status(nodes[0].api, milliseconds(2000)).value()).ok());
  ASSERT_TRUE(save_cluster(dir_, cluster).ok());
  encrypt("after erasure", "ct");

  // The master key: not while the node runs; then rotated, and the node
  // comes back serving the new epoch only.
  auto refused = run_cli("rotate-master-key --data-dir " + node1.string());
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("in use by a running vigild"), std::string::npos) << refused.output;
  stop_node(cluster.processes[0].pid, milliseconds(5000));
  auto rotated = run_cli("rotate-master-key --data-dir " + node1.string());
  ASSERT_EQ(rotated.exit_code, 0) << rotated.output;
  EXPECT_NE(rotated.output.find("1 key share(s)"), std::string::npos) << rotated.output;
  auto restarted = run_cli("cluster restart --dir " + dir_.string() + " --node 1");
  ASSERT_EQ(restarted.exit_code, 0) << restarted.output;
  expect_gone(reshare_secrets, "a restart");

  expect_epoch_refused(nodes[0].api, 1, 2);
  EXPECT_EQ(decrypt("ct"), "after erasure");
}

// The coordinator and a node each interrupted around a DKG. `cluster dkg`
// starts while node 5 is down and node 3 is killed and restarted under it:
// it records the processes running now, not those it read at start. Node 3,
// killed again once done, reports the same outcome after its restart, and a
// second `cluster dkg` records the key the nodes hold instead of failing.
TEST_F(CeremonyCluster, ACoordinatorFinishesTheJobFromTheNodesStateAfterKillsAndRestarts) {
  ClusterFile cluster = up_without_key(5, 3);
  const std::vector<client::NodeEndpoint> nodes = cluster.description.nodes;
  std::vector<int> every_pid;
  for (const auto& p : cluster.processes) every_pid.push_back(p.pid);
  stop_node(cluster.processes[4].pid, milliseconds(5000));
  auto dkg = std::async(std::launch::async, [&] { return run_cli("cluster dkg --dir " + dir_.string() + " --t 3"); });
  std::this_thread::sleep_for(milliseconds(1000));  // it has read cluster.json and waits for node 5's links
  ASSERT_EQ(::kill(cluster.processes[2].pid, SIGKILL), 0);
  for (const int node : {3, 5}) {
    auto restarted = run_cli("cluster restart --dir " + dir_.string() + " --node " + std::to_string(node));
    ASSERT_EQ(restarted.exit_code, 0) << restarted.output;
  }
  const auto first = dkg.get();
  ASSERT_EQ(first.exit_code, 0) << first.output;
  cluster = load_cluster(dir_).value();
  for (std::size_t i = 0; i < cluster.processes.size(); ++i) {
    EXPECT_TRUE(process_alive(cluster.processes[i].pid)) << "cluster.json names node " << i + 1 << "'s running process";
    every_pid.push_back(cluster.processes[i].pid);
  }
  EXPECT_EQ(cluster.description.key_epoch, 1u);

  // Node 3 killed after it finished: the restarted node reports the outcome whole.
  const v1::StatusResponse before = fetch_status(nodes[2].api, milliseconds(2000)).value();
  ASSERT_EQ(before.ceremony().state(), "done");
  ASSERT_EQ(::kill(cluster.processes[2].pid, SIGKILL), 0);
  auto restarted = run_cli("cluster restart --dir " + dir_.string() + " --node 3");
  ASSERT_EQ(restarted.exit_code, 0) << restarted.output;
  const v1::StatusResponse after = fetch_status(nodes[2].api, milliseconds(2000)).value();
  EXPECT_EQ(after.ceremony().state(), "done");
  EXPECT_EQ(after.ceremony().transcript_digest().size(), 32u);
  EXPECT_EQ(after.ceremony().transcript_digest(), before.ceremony().transcript_digest());
  EXPECT_EQ(after.ceremony().group_public_key(), before.ceremony().group_public_key());
  EXPECT_EQ(after.ceremony().confirmations(), before.ceremony().confirmations());
  EXPECT_GE(after.ceremony().confirmations(), 3u);

  // A coordinator that lost the outcome (cluster.json without the key) runs again.
  cluster = load_cluster(dir_).value();
  every_pid.push_back(cluster.processes[2].pid);
  cluster.description.group_public_key.clear();
  ASSERT_TRUE(save_cluster(dir_, cluster).ok());
  auto other_threshold = run_cli("cluster dkg --dir " + dir_.string() + " --t 4");
  EXPECT_EQ(other_threshold.exit_code, 1) << other_threshold.output;
  EXPECT_NE(other_threshold.output.find("already hold a 3-of-5"), std::string::npos) << other_threshold.output;
  auto again = run_cli("cluster dkg --dir " + dir_.string() + " --t 3");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("already finished DKG session"), std::string::npos) << again.output;
  EXPECT_EQ(to_hex(load_cluster(dir_).value().description.group_public_key),
            to_hex(as_bytes(before.group_public_key())));
  encrypt("the job is finished", "ct");
  EXPECT_EQ(decrypt("ct"), "the job is finished");

  auto down = run_cli("cluster down --dir " + dir_.string());
  EXPECT_EQ(down.exit_code, 0) << down.output;
  for (const int pid : every_pid) EXPECT_FALSE(process_alive(pid)) << "vigild " << pid << " still runs";
}

// An operator's restarts under a coordinator. While a ceremony runs (a node
// reports it running), a thread kills a random node with SIGKILL and has
// `cluster restart` start it again 0-300 ms later, with up to two nodes
// down at once, `budget` kills per ceremony. A DKG takes tens of
// milliseconds, so kills on a timer would seldom land inside one; a kill
// stalls the ceremony until the node is back, which gives the next its
// chance.
class KillLoop {
 public:
  KillLoop(fs::path dir, std::vector<client::NodeEndpoint> nodes, unsigned budget)
      : dir_(std::move(dir)), nodes_(std::move(nodes)), budget_(budget), thread_([this] { run(); }) {}
  ~KillLoop() { stop(); }
  KillLoop(const KillLoop&) = delete;
  KillLoop& operator=(const KillLoop&) = delete;

  // Stops killing and waits until every killed node has been restarted.
  void stop() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
  }
  unsigned kills() const { return kills_; }
  // Outputs of the restarts that failed.
  std::vector<std::string> failures() const {
    std::lock_guard lock(mutex_);
    return failures_;
  }

 private:
  static constexpr std::size_t kMostDown = 2;

  void run() {
    std::mt19937_64 random(vigil::test::test_seed() + 2718 + budget_);
    auto between = [&](int low, int high) {
      return milliseconds(std::uniform_int_distribution<int>(low, high)(random));
    };
    auto up_node = [&]() -> std::optional<std::size_t> {
      std::lock_guard lock(mutex_);
      std::vector<std::size_t> up;
      for (std::size_t i = 0; i < nodes_.size(); ++i) {
        if (!down_.contains(i)) up.push_back(i);
      }
      if (down_.size() >= kMostDown || up.empty()) return std::nullopt;
      return up[std::uniform_int_distribution<std::size_t>(0, up.size() - 1)(random)];
    };
    std::vector<std::future<void>> restarts;
    while (running_ && kills_ < budget_) {
      std::this_thread::sleep_for(between(0, 2));  // a ceremony may last only tens of milliseconds
      const auto asked = up_node();
      if (!asked) continue;
      auto s = fetch_status(nodes_[*asked].api, milliseconds(500));
      if (!s || s->ceremony().state() != "running") continue;
      const auto victim = up_node();
      if (!victim) continue;
      auto cluster = load_cluster(dir_);
      if (!cluster) continue;
      const int pid = cluster->processes[*victim].pid;
      if (pid <= 0 || ::kill(pid, SIGKILL) != 0) continue;
      ++kills_;
      {
        std::lock_guard lock(mutex_);
        down_.insert(*victim);
      }
      restarts.push_back(std::async(std::launch::async, [this, victim = *victim, pause = between(0, 300)] {
        std::this_thread::sleep_for(pause);
        auto restarted =
            run_cli("cluster restart --dir " + dir_.string() + " --node " + std::to_string(nodes_[victim].index));
        std::lock_guard lock(mutex_);
        if (restarted.exit_code != 0) failures_.push_back(restarted.output);
        down_.erase(victim);
      }));
    }
    for (auto& restart : restarts) restart.get();
  }

  fs::path dir_;
  std::vector<client::NodeEndpoint> nodes_;
  unsigned budget_;
  std::atomic<bool> running_{true};
  std::atomic<unsigned> kills_{0};
  mutable std::mutex mutex_;
  std::set<std::size_t> down_;  // nodes killed and not yet restarted
  std::vector<std::string> failures_;
  std::thread thread_;  // last: it starts once the rest is built
};

// kill -9 in a loop under `cluster dkg` and then under two `cluster reshare`
// runs that change the threshold (up to VIGIL_FAULT_CYCLES kills each,
// default 6). Each ceremony ends with one key that cluster.json records beside the
// processes running now, resharing keeps the group key, and what was
// protected after the DKG decrypts after every resharing.
TEST_F(CeremonyCluster, NodesKilledInALoopDuringADkgAndTwoResharingsLeaveOneWorkingKey) {
  const std::vector<client::NodeEndpoint> nodes = up_without_key(5, 3).description.nodes;
  const char* cycles = std::getenv("VIGIL_FAULT_CYCLES");
  const unsigned budget =
      cycles != nullptr ? std::max(1u, static_cast<unsigned>(std::strtoul(cycles, nullptr, 10))) : 6;
  auto resumed = [&] {  // journal resumptions logged by all nodes so far
    std::size_t count = 0;
    for (const auto& n : nodes) {
      const std::string log = slurp("node" + std::to_string(n.index) + "/vigild.log");
      for (auto at = log.find("resumed from"); at != std::string::npos; at = log.find("resumed from", at + 1)) ++count;
    }
    return count;
  };
  std::vector<std::string> ran;
  std::size_t total_resumptions = 0;
  auto under_kills = [&](const std::string& command) {
    const std::size_t resumed_before = resumed();
    KillLoop kills(dir_, nodes, budget);
    auto r = run_cli(command + " --dir " + dir_.string() + " --phase-timeout-ms 10000");
    kills.stop();
    EXPECT_EQ(r.exit_code, 0) << r.output;
    for (const auto& failure : kills.failures()) ADD_FAILURE() << "cluster restart failed: " << failure;
    const std::size_t resumptions = resumed() - resumed_before;
    total_resumptions += resumptions;
    ran.push_back(command + ": " + std::to_string(kills.kills()) + " kill -9, " + std::to_string(resumptions) +
                  " resumed from the journal");
    // Every process cluster.json names runs: no restart's record was lost.
    const ClusterFile now = load_cluster(dir_).value();
    for (std::size_t i = 0; i < now.processes.size(); ++i) {
      EXPECT_TRUE(process_alive(now.processes[i].pid)) << "cluster.json names node " << i + 1 << "'s running process";
    }
    return now;
  };

  const ClusterFile after_dkg = under_kills("cluster dkg --t 3");
  ASSERT_EQ(after_dkg.description.key_epoch, 1u);
  ASSERT_FALSE(after_dkg.description.group_public_key.empty());
  encrypt("kept through every kill", "ct");

  std::uint32_t epoch = 1;
  for (const unsigned t : {4u, 3u}) {
    const ClusterFile after = under_kills("cluster reshare --n 5 --t " + std::to_string(t));
    EXPECT_EQ(after.description.key_epoch, ++epoch);
    EXPECT_EQ(after.description.threshold, t);
    EXPECT_EQ(after.description.group_public_key, after_dkg.description.group_public_key);
    EXPECT_EQ(decrypt("ct"), "kept through every kill");
  }
  for (const auto& line : ran) std::cout << "  " << line << "\n";
  // A ceremony can end before the first poll sees it running (a loaded
  // machine): the three together must have been struck.
  EXPECT_GE(total_resumptions, 3u) << "too few kills landed inside a ceremony";
}

}  // namespace
}  // namespace vigil::cli
