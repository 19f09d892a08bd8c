// Faults on a real cluster of vigild processes (3 of 5 on loopback): nodes
// killed with SIGKILL at random moments, one at a time, while clients
// register secrets, send heartbeats and recover, and started again from
// their data folders. Afterwards every write a node acknowledged is still
// on that node, every audit chain verifies (and never shrank: heads are
// remembered between checks), no node died on its own, and every recovery
// succeeded, since t nodes were always up.
//
// VIGIL_FAULT_CYCLES sets the number of kills (default 12, a few seconds;
// scripts/faults runs more).
//
// Clock faults: one node's clock fast, another's slow, beyond the skew they
// allow (vigild-test's VIGIL_TEST_CLOCK_OFFSET_MS). Neither may release while
// the enclave beats, nor before the policy's timeout has passed on the
// honest nodes' clocks.
//
// A partition between nodes {1, 2} and {3, 4, 5} (their links through
// relays the test cuts and heals), with the enclave on the majority's side.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "ceremony_client.h"
#include "cluster_file.h"
#include "http.h"
#include "keys.h"
#include "protected_client.h"
#include "support/test_support.h"
#include "tools/link_cutter.h"
#include "tools/run_cli.h"
#include "vigil/client.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

std::size_t fault_cycles() {
  const char* text = std::getenv("VIGIL_FAULT_CYCLES");
  return text != nullptr ? std::max<std::size_t>(1, std::strtoul(text, nullptr, 10)) : 12;
}

// What the nodes acknowledged, by node index.
struct Acknowledged {
  std::mutex mutex;
  std::map<ParticipantIndex, std::vector<client::KeyId>> registrations;
  // The highest heartbeat counter each node took for each secret.
  std::map<std::pair<ParticipantIndex, client::KeyId>, std::uint64_t> heartbeats;
  std::size_t registration_count = 0, heartbeat_count = 0;
};

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vigil-fault-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    auto up = test::run_cli("cluster up --dir " + dir_.string() + " --n 5 --t 3");
    ASSERT_EQ(up.exit_code, 0) << up.output;
  }
  void TearDown() override {
    test::run_cli("cluster down --dir " + dir_.string());
    fs::remove_all(dir_);
  }
  ClusterFile cluster() const { return load_cluster(dir_).value(); }
  test::CliRun restart(std::size_t position) const {
    return test::run_cli("cluster restart --dir " + dir_.string() + " --node " + std::to_string(position + 1));
  }
  test::CliRun verify_audit() const { return test::run_cli("audit verify --cluster " + dir_.string()); }

  fs::path dir_;
};

TEST_F(FaultTest, NodesKilledAtRandomDuringLoadLoseNothingTheyAcknowledged) {
  const ClusterFile initial = cluster();
  const std::size_t n = initial.description.nodes.size();
  SystemClock clock;
  auto vault = client::ClusterClient<Ristretto255>::create(initial.description, http(), system_rng(), clock).value();
  const Ed25519KeyPair requester = load_requester_key(dir_, initial, {}).value();
  const Ed25519KeyPair enclave = ed25519_generate(system_rng());
  const Policy policy = requester_only(enclave, requester.public_key);
  const Bytes secret(32, 0x42);
  auto first = vault.protect(enclave, policy, secret);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->accepted.size(), n);

  std::atomic<bool> stop{false};
  Acknowledged acked;
  // The load stops and its threads are joined however the test ends (an
  // ASSERT returns early): a thread left joinable would abort the process,
  // and with it the teardown that stops the cluster.
  std::vector<std::thread> load;
  struct JoinOnExit {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~JoinOnExit() {
      stop = true;
      for (auto& t : threads) {
        if (t.joinable()) t.join();
      }
    }
  } join_on_exit{stop, load};
  load.emplace_back([&] {
    while (!stop.load()) {
      auto p = vault.protect(enclave, policy, secret, {milliseconds(2000)});
      if (!p) continue;
      {
        std::lock_guard lock(acked.mutex);
        for (ParticipantIndex i : p->accepted) acked.registrations[i].push_back(p->key_id);
        ++acked.registration_count;
      }
      for (std::uint64_t counter = 1; counter <= 3 && !stop.load(); ++counter) {
        auto beat = vault.heartbeat(enclave, p->key_id, counter, std::nullopt, {milliseconds(2000)});
        if (!beat) continue;
        std::lock_guard lock(acked.mutex);
        for (ParticipantIndex i : beat->accepted) {
          auto& held = acked.heartbeats[{i, p->key_id}];
          held = std::max(held, counter);
          ++acked.heartbeat_count;
        }
      }
    }
  });
  std::atomic<std::size_t> recoveries{0};
  std::vector<std::string> failed_recoveries;
  load.emplace_back([&] {
    while (!stop.load()) {
      const X25519KeyPair response = x25519_generate(system_rng());
      auto request = vault.prepare_recovery(first->key_id, response.public_key);
      request.sign(requester);
      auto r = vault.recover(request, response, {milliseconds(2000)});
      if (r && r->plaintext.size() == secret.size()) {
        ++recoveries;
      } else {
        failed_recoveries.push_back(r ? "wrong plaintext" : r.error().message);
      }
    }
  });

  std::mt19937_64 random(vigil::test::test_seed() + 1515);
  auto between = [&random](int low, int high) {
    return milliseconds(std::uniform_int_distribution<int>(low, high)(random));
  };
  const std::size_t cycles = fault_cycles();
  for (std::size_t cycle = 0; cycle < cycles; ++cycle) {
    std::this_thread::sleep_for(between(20, 250));
    const std::size_t victim = std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
    const int pid = cluster().processes[victim].pid;
    ASSERT_GT(pid, 0);
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    std::this_thread::sleep_for(between(20, 300));
    auto restarted = restart(victim);
    ASSERT_EQ(restarted.exit_code, 0) << restarted.output;
    if (cycle % 4 == 3) {
      auto audit = verify_audit();  // remembers each chain's head: a later check fails if one shrinks
      EXPECT_EQ(audit.exit_code, 0) << audit.output;
    }
  }
  stop = true;
  for (auto& t : load) t.join();

  // Every node is up: none died on its own.
  for (const auto& process : cluster().processes) EXPECT_EQ(::kill(process.pid, 0), 0) << "a node exited";
  EXPECT_TRUE(failed_recoveries.empty()) << failed_recoveries.size()
                                         << " recoveries failed with four or five nodes up; "
                                         << "the first: " << failed_recoveries.front();
  EXPECT_GT(recoveries.load(), 0u);

  std::size_t checked = 0;
  for (const auto& [index, ids] : acked.registrations) {
    const std::string api = initial.description.nodes[index - 1].api;
    for (const auto& id : ids) {
      auto held = http_request("GET", api + "/v1/registrations?key_id=" + to_hex(id), "", milliseconds(5000));
      ASSERT_TRUE(held.ok()) << held.error().message;
      EXPECT_EQ(held->status, 200u) << "node " << index << " acknowledged " << to_hex(id) << " and lost it";
      ++checked;
    }
  }
  // A heartbeat whose counter a node took already is refused by it as old:
  // one that lost it would take it again.
  for (const auto& [at, counter] : acked.heartbeats) {
    auto again = vault.heartbeat(enclave, at.second, counter, std::nullopt, {milliseconds(5000)});
    const std::vector<ParticipantIndex> took = again ? again->accepted : std::vector<ParticipantIndex>{};
    EXPECT_EQ(std::count(took.begin(), took.end(), at.first), 0)
        << "node " << at.first << " acknowledged heartbeat " << counter << " of " << to_hex(at.second)
        << " and lost it";
  }
  auto audit = verify_audit();
  EXPECT_EQ(audit.exit_code, 0) << audit.output;
  for (std::size_t i = 0; i < n; ++i) {
    std::ifstream log(dir_ / cluster().processes[i].dir / "vigild.log");
    for (std::string line; std::getline(log, line);) {
      EXPECT_EQ(line.find("[critical]"), std::string::npos) << "node " << i + 1 << ": " << line;
      EXPECT_EQ(line.find("Sanitizer"), std::string::npos) << "node " << i + 1 << ": " << line;
    }
  }
  std::cout << "kill -9 cycles: " << cycles << "; acknowledged: " << acked.registration_count << " registrations ("
            << checked << " node copies checked), " << acked.heartbeat_count << " node heartbeats; "
            << recoveries.load() << " recoveries, all succeeded; nothing lost\n";
}

// An enclave beating every 300 ms in the background, from counter 2 on,
// through `vault` (which may reach only some nodes), until stop() or the end
// of the scope; taken_by_all() is the newest counter every node it reaches took.
class BeatingEnclave {
 public:
  BeatingEnclave(client::ClusterClient<Ristretto255>& vault, const Ed25519KeyPair& enclave, const client::KeyId& id)
      : thread_([this, &vault, &enclave, id, reached = vault.cluster().nodes.size()] {
          for (std::uint64_t counter = 2; beating_.load(); ++counter) {
            auto beat = vault.heartbeat(enclave, id, counter, std::nullopt, {milliseconds(2000)});
            if (beat && beat->accepted.size() == reached) taken_ = counter;
            std::this_thread::sleep_for(milliseconds(300));
          }
        }) {}
  ~BeatingEnclave() { stop(); }
  BeatingEnclave(const BeatingEnclave&) = delete;
  BeatingEnclave& operator=(const BeatingEnclave&) = delete;

  void stop() {
    beating_ = false;
    if (thread_.joinable()) thread_.join();
  }
  std::uint64_t taken_by_all() const { return taken_.load(); }

 private:
  std::atomic<bool> beating_{true};
  std::atomic<std::uint64_t> taken_{1};
  std::thread thread_;
};

// The code of a node's answer to a recovery request: "granted", or its
// refusal ("enclave_alive", "clock_ahead", ...).
std::string answer_of(const std::string& api, const client::RecoveryRequest& request) {
  auto r = http_request("POST", api + "/v1/recoveries", client::recovery_request_to_json(request), milliseconds(5000));
  if (!r) return "transport: " + r.error().message;
  if (r->status == 200) return "granted";
  const auto body = nlohmann::json::parse(r->body, nullptr, false);
  return body.is_object() && body.contains("error") ? body["error"].get<std::string>() : "HTTP " + r->body;
}

TEST_F(FaultTest, ANodeWhoseClockIsWrongNeverReleasesEarly) {
  const ClusterFile initial = cluster();
  const auto& nodes = initial.description.nodes;
  SystemClock clock;
  auto vault = client::ClusterClient<Ristretto255>::create(initial.description, http(), system_rng(), clock).value();
  const Ed25519KeyPair requester = load_requester_key(dir_, initial, {}).value();
  const Ed25519KeyPair enclave = ed25519_generate(system_rng());
  // The requester, once the enclave has been silent for 3 s.
  Policy policy = requester_only(enclave, requester.public_key);
  policy.any_of[0].silence_ms = 3000;
  auto protection = vault.protect(enclave, policy, Bytes(32, 0x17));
  ASSERT_TRUE(protection.ok()) << protection.error().message;
  ASSERT_EQ(protection->accepted.size(), 5u);
  ASSERT_TRUE(vault.heartbeat(enclave, protection->key_id, 1).ok());
  const auto last_heard = std::chrono::steady_clock::now();

  // Node 1 runs 8 s fast and node 2 8 s slow, each allowing 2 s of skew
  // (limits.clock_skew_s), restarted from their data folders. The slow node
  // refuses the enclave's heartbeats as from the future: 3 s + 8 s after the
  // last one it took, its clock would call the enclave silent.
  for (const auto& [node, offset] : {std::pair{1, "8000"}, std::pair{2, "-8000"}}) {
    const fs::path toml = dir_ / initial.processes[node - 1].dir / "node.toml";
    std::ifstream in(toml);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    const auto at = text.find("clock_skew_s = 60");
    ASSERT_NE(at, std::string::npos) << text;
    std::ofstream(toml) << text.replace(at, 17, "clock_skew_s = 2");
    auto r = test::run_command(std::string("VIGILD=") + VIGILD_TEST_PATH + " VIGIL_TEST_CLOCK_OFFSET_MS=" + offset +
                               " " + VIGIL_CLI_PATH + " cluster restart --dir " + dir_.string() + " --node " +
                               std::to_string(node));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  std::this_thread::sleep_for(milliseconds(2500));  // links up, pings exchanged

  // The enclave keeps beating; every node is asked directly, over and over,
  // until well past the time the slow node's clock would call it silent.
  BeatingEnclave heart(vault, enclave, protection->key_id);
  auto signed_request = [&] {
    auto request = vault.prepare_recovery(protection->key_id, x25519_generate(system_rng()).public_key);
    request.sign(requester);
    return request;
  };
  std::map<std::string, int> slow_answers;
  while (std::chrono::steady_clock::now() - last_heard < std::chrono::seconds(15)) {
    const auto request = signed_request();
    EXPECT_EQ(answer_of(nodes[0].api, request), "clock_ahead") << "the fast node";
    const std::string slow = answer_of(nodes[1].api, request);
    EXPECT_TRUE(slow == "enclave_alive" || slow == "clock_behind") << "the slow node: " << slow;
    ++slow_answers[slow];
    for (std::size_t i = 2; i < 5; ++i)
      EXPECT_EQ(answer_of(nodes[i].api, request), "enclave_alive") << "node " << i + 1;
    std::this_thread::sleep_for(milliseconds(700));
  }
  EXPECT_GT(slow_answers["clock_behind"], 0) << "the slow node's clock never called the enclave silent";
  heart.stop();

  // Silent past the timeout on the honest clocks: the three honest nodes
  // release, the others still decide no deadline.
  std::this_thread::sleep_for(milliseconds(4500));
  const X25519KeyPair response = x25519_generate(system_rng());
  auto request = vault.prepare_recovery(protection->key_id, response.public_key);
  request.sign(requester);
  auto recovered = vault.recover(request, response);
  ASSERT_TRUE(recovered.ok()) << recovered.error().message;
  EXPECT_EQ(recovered->plaintext.size(), 32u);
  for (ParticipantIndex used : recovered->used) EXPECT_GE(used, 3u) << "a node whose clock is wrong released";
  const auto late = signed_request();
  EXPECT_EQ(answer_of(nodes[0].api, late), "clock_ahead");
  EXPECT_EQ(answer_of(nodes[1].api, late), "clock_behind");
  auto audit = verify_audit();
  EXPECT_EQ(audit.exit_code, 0) << audit.output;
}

// The enclave, on the majority's side of a partition, keeps beating: nodes
// 1 and 2 hear nothing, call it silent and release to a requester on their
// side, but two shares are below t = 3. Once the partition heals they catch
// up on the heartbeats (the newest one the majority took is on every node)
// and refuse; after the enclave stops, the whole cluster recovers.
TEST_F(FaultTest, APartitionedMinorityCannotRecoverAndCatchesUpWhenItHeals) {
  const ClusterFile initial = cluster();
  const auto& nodes = initial.description.nodes;
  // Nodes 1 and 2 dial 3, 4 and 5 (the lower index dials): through relays.
  std::vector<std::unique_ptr<test::LinkCutter>> cutters;
  for (unsigned peer = 3; peer <= 5; ++peer) {
    const std::string address = initial.processes[peer - 1].peer;
    cutters.push_back(std::make_unique<test::LinkCutter>(
        static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)))));
  }
  for (unsigned node : {1u, 2u}) {
    for (unsigned peer = 3; peer <= 5; ++peer) {
      test::reroute_peer(dir_ / initial.processes[node - 1].dir / "node.toml", peer, cutters[peer - 3]->port());
    }
    auto r = restart(node - 1);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  std::ostringstream quiet;
  ASSERT_TRUE(wait_for_links(nodes, milliseconds(30000), quiet).ok()) << "the links through the relays came up";

  SystemClock clock;
  auto side = [&](std::initializer_list<ParticipantIndex> members) {
    client::ClusterDescription d = initial.description;
    d.nodes.clear();
    for (ParticipantIndex i : members) d.nodes.push_back(nodes[i - 1]);
    return client::ClusterClient<Ristretto255>::create(d, http(), system_rng(), clock).value();
  };
  auto everyone = side({1, 2, 3, 4, 5});
  auto majority = side({3, 4, 5});
  auto minority = side({1, 2});
  const Ed25519KeyPair requester = load_requester_key(dir_, initial, {}).value();
  const Ed25519KeyPair enclave = ed25519_generate(system_rng());
  Policy policy = requester_only(enclave, requester.public_key);
  policy.any_of[0].silence_ms = 3000;
  const Bytes secret(32, 0x5a);
  auto protection = everyone.protect(enclave, policy, secret);
  ASSERT_TRUE(protection.ok()) << protection.error().message;
  ASSERT_EQ(protection->accepted.size(), 5u);
  ASSERT_TRUE(everyone.heartbeat(enclave, protection->key_id, 1).ok());

  for (auto& c : cutters) c->cut();
  auto sees_majority = [&](const client::NodeEndpoint& n) {
    auto s = fetch_status(n.api, milliseconds(2000));
    if (!s.ok()) return true;
    for (const auto& p : s->peers()) {
      if (p.index() >= 3 && p.connected()) return true;
    }
    return false;
  };
  for (int tries = 0; tries < 400 && (sees_majority(nodes[0]) || sees_majority(nodes[1])); ++tries) {
    std::this_thread::sleep_for(milliseconds(25));
  }
  ASSERT_FALSE(sees_majority(nodes[0]) || sees_majority(nodes[1])) << "the partition took";

  // The enclave reaches the majority only.
  BeatingEnclave heart(majority, enclave, protection->key_id);
  std::this_thread::sleep_for(milliseconds(4500));  // past the timeout, for the minority

  auto signed_request = [&](const X25519PublicKey& response_key) {
    auto request = everyone.prepare_recovery(protection->key_id, response_key);
    request.sign(requester);
    return request;
  };
  const auto asked = signed_request(x25519_generate(system_rng()).public_key);
  EXPECT_EQ(answer_of(nodes[0].api, asked), "granted") << "node 1 heard nothing for longer than the timeout";
  EXPECT_EQ(answer_of(nodes[1].api, asked), "granted") << "node 2 heard nothing for longer than the timeout";
  for (std::size_t i = 2; i < 5; ++i) EXPECT_EQ(answer_of(nodes[i].api, asked), "enclave_alive") << "node " << i + 1;
  const X25519KeyPair lone_key = x25519_generate(system_rng());
  auto lone = minority.recover(signed_request(lone_key.public_key), lone_key);
  EXPECT_FALSE(lone.ok()) << "two nodes' shares recovered the secret";

  // Healed: nodes 1 and 2 hear the heartbeats again and refuse.
  for (auto& c : cutters) c->heal();
  ASSERT_TRUE(wait_for_links(nodes, milliseconds(30000), quiet).ok()) << "the partition healed";
  auto both_refuse = [&] {
    const auto r = signed_request(x25519_generate(system_rng()).public_key);
    return answer_of(nodes[0].api, r) == "enclave_alive" && answer_of(nodes[1].api, r) == "enclave_alive";
  };
  for (int tries = 0; tries < 60 && !both_refuse(); ++tries) std::this_thread::sleep_for(milliseconds(250));
  EXPECT_TRUE(both_refuse()) << "nodes 1 and 2 still call the enclave silent after the partition healed";
  heart.stop();

  // Nothing the majority took is missing anywhere: the newest heartbeat it
  // took, sent again, is old news to every node (1 and 2 had it by gossip).
  std::this_thread::sleep_for(milliseconds(1000));
  auto again = everyone.heartbeat(enclave, protection->key_id, heart.taken_by_all(), std::nullopt);
  ASSERT_FALSE(again.ok()) << "a node had lost heartbeat " << heart.taken_by_all() << " and took it again";
  for (int i = 1; i <= 5; ++i) {
    EXPECT_NE(again.error().message.find("node " + std::to_string(i) + ": invalid_input: replayed"), std::string::npos)
        << again.error().message;
  }

  std::this_thread::sleep_for(milliseconds(3500));
  const X25519KeyPair response = x25519_generate(system_rng());
  auto recovered = everyone.recover(signed_request(response.public_key), response);
  ASSERT_TRUE(recovered.ok()) << recovered.error().message;
  EXPECT_TRUE(
      std::equal(secret.begin(), secret.end(), recovered->plaintext.span().begin(), recovered->plaintext.span().end()));
  auto audit = verify_audit();
  EXPECT_EQ(audit.exit_code, 0) << audit.output;
}

}  // namespace
}  // namespace vigil::cli
