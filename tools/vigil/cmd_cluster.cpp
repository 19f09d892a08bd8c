// vigil cluster up | status | down | restart: a local cluster of vigild
// processes on 127.0.0.1, for trying vigil and for tests.
#include <chrono>
#include <iomanip>

#include "node/config.h"
#include "node/identity.h"
#include "node/node_key.h"
#include "node/store.h"
#include "cli.h"
#include "cluster_file.h"
#include "deal_file.h"
#include "vigil/ed25519.h"
#include "files.h"
#include "http_client.h"
#include "local_cluster.h"
#include "node_setup.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr milliseconds kHealthTimeout{20000};
constexpr milliseconds kStopGrace{5000};

template <Curve C>
int cluster_up(const fs::path& dir, std::size_t n, std::size_t t) {
  if (auto s = check_threshold(n, t); !s) return fail("cluster up", s.error(), kExitUsage);
  if (fs::exists(dir / "cluster.json")) {
    return fail("cluster up", (dir / "cluster.json").string() + " exists: run vigil cluster down and remove " +
                                  dir.string() + ", or choose another --dir", kExitUsage);
  }
  auto vigild = find_vigild();
  if (!vigild) return fail("cluster up", vigild.error());
  fs::create_directories(dir);
  const fs::path root = fs::canonical(dir);

  // Identities, ports, and the requester key every node trusts.
  std::vector<node::NodeConfig> configs(n);
  std::vector<Ed25519KeyPair> identities;
  auto requester = ed25519_generate(system_rng());
  if (auto s = write_file(root / "requester.key", to_hex(requester.seed.span()) + "\n", FileMode::kSecret, false); !s) {
    return fail("cluster up", s.error());
  }
  for (std::size_t i = 0; i < n; ++i) {
    const fs::path node_dir = root / ("node" + std::to_string(i + 1));
    fs::create_directories(node_dir);
    auto identity = node::create_identity(node_dir);
    if (!identity) return fail("cluster up", identity.error());
    if (auto s = node::create_master_key(node_dir); !s) return fail("cluster up", s.error());
    identities.push_back(std::move(identity).value());
    auto& c = configs[i];
    c.index = static_cast<ParticipantIndex>(i + 1);
    c.data_dir = node_dir;
    auto peer_port = free_port(), api_port = free_port();
    if (!peer_port || !api_port) return fail("cluster up", "no free ports on 127.0.0.1");
    c.peer_listen = {"127.0.0.1", static_cast<std::uint16_t>(*peer_port)};
    c.api_listen = {"127.0.0.1", static_cast<std::uint16_t>(*api_port)};
    c.requesters.push_back({"local", requester.public_key});
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      if (i != j) configs[i].peers.push_back({configs[j].index, configs[j].peer_listen, identities[j].public_key});
    }
  }

  // The trusted dealer (the DKG replaces it): shares sealed to each node's identity.
  auto dealt = deal<C>(system_rng(), n, t);
  if (!dealt) return fail("cluster up", dealt.error());
  std::vector<X25519PublicKey> recipients;
  for (const auto& id : identities) recipients.push_back(ed25519_public_to_x25519(id.public_key).value());
  auto deal_file = make_deal_file<C>(system_rng(), *dealt, recipients);
  if (!deal_file) return fail("cluster up", deal_file.error());
  (void)write_file(root / "deal.json", deal_file_to_json(*deal_file).dump(2) + "\n", FileMode::kPublic, true);
  std::vector<Element<C>> public_shares;
  for (const auto& s : dealt->shares) public_shares.push_back(s.public_share);

  ClusterFile cluster;
  cluster.curve = std::string(C::kName);
  cluster.threshold = static_cast<unsigned>(t);
  cluster.group_public_key = to_hex(dealt->group_public_key().encode());
  for (const auto& p : public_shares) cluster.public_shares.push_back(to_hex(p.encode()));
  std::cout << "creating a " << t << "-of-" << n << " " << C::kName << " cluster in " << root.string() << "\n";
  for (std::size_t i = 0; i < n; ++i) {
    const auto& c = configs[i];
    const fs::path config_path = c.data_dir / "node.toml";
    if (auto s = write_file(config_path, node::render_node_config(c), FileMode::kPublic, true); !s) {
      return fail("cluster up", s.error());
    }
    // Each node opens the share sealed to its identity, as on a real deployment.
    if (auto s = import_dealt_share<C>(c.data_dir, identities[i], *deal_file, c.index); !s) {
      return fail("cluster up", "node " + std::to_string(c.index) + ": " + s.error().message);
    }
    auto pid = start_node(*vigild, config_path, c.data_dir / "vigild.log");
    if (!pid) return fail("cluster up", pid.error());
    cluster.nodes.push_back({c.index, "http://" + c.api_listen.to_string(), c.peer_listen.to_string(), *pid,
                             c.data_dir.filename().string()});
  }
  (void)save_cluster(root, cluster);
  int exit_code = kExitOk;
  for (const auto& node : cluster.nodes) {
    const auto start = std::chrono::steady_clock::now();
    std::cout << "  node " << node.index << "  pid " << std::setw(7) << std::left << node.pid << " " << node.api << "  "
              << std::flush;
    if (auto s = wait_healthy(node.api, node.pid, kHealthTimeout); !s) {
      std::cout << "FAILED: " << s.error().message << " (" << (root / node.dir / "vigild.log").string() << ")\n";
      exit_code = kExitFailure;
    } else {
      std::cout << "healthy in " << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count()
                << " ms\n";
    }
  }
  std::cout << "group public key " << cluster.group_public_key << "\n"
            << "wrote " << (root / "cluster.json").string() << "\n";
  return exit_code;
}

int cluster_status(const fs::path& dir) {
  auto cluster = load_cluster(dir);
  if (!cluster) return fail("cluster status", cluster.error(), kExitUsage);
  std::cout << cluster->threshold << "-of-" << cluster->nodes.size() << " " << cluster->curve << " cluster, group key "
            << cluster->group_public_key << "\n";
  int down = 0;
  for (const auto& node : cluster->nodes) {
    auto health = http_request("GET", node.api + "/healthz", "", milliseconds(1000));
    const bool up = health && health->status == 200;
    down += up ? 0 : 1;
    std::cout << "  node " << node.index << "  " << (up ? "up  " : "DOWN") << "  pid " << std::setw(7) << std::left
              << node.pid << " " << node.api << (process_alive(node.pid) ? "" : "  (process not running)") << "\n";
  }
  return down == 0 ? kExitOk : kExitFailure;
}

int cluster_down(const fs::path& dir) {
  auto cluster = load_cluster(dir);
  if (!cluster) return fail("cluster down", cluster.error(), kExitUsage);
  for (auto& node : cluster->nodes) {
    if (node.pid > 0) {
      stop_node(node.pid, kStopGrace);
      std::cout << "  node " << node.index << " stopped\n";
    }
    node.pid = 0;
  }
  if (auto s = save_cluster(dir, *cluster); !s) return fail("cluster down", s.error());
  return kExitOk;
}

int cluster_restart(const fs::path& dir, unsigned index) {
  auto cluster = load_cluster(dir);
  if (!cluster) return fail("cluster restart", cluster.error(), kExitUsage);
  auto vigild = find_vigild();
  if (!vigild) return fail("cluster restart", vigild.error());
  for (auto& node : cluster->nodes) {
    if (node.index != index) continue;
    if (process_alive(node.pid)) stop_node(node.pid, kStopGrace);
    const fs::path node_dir = fs::canonical(dir) / node.dir;
    auto pid = start_node(*vigild, node_dir / "node.toml", node_dir / "vigild.log");
    if (!pid) return fail("cluster restart", pid.error());
    node.pid = *pid;
    if (auto s = save_cluster(dir, *cluster); !s) return fail("cluster restart", s.error());
    if (auto s = wait_healthy(node.api, node.pid, kHealthTimeout); !s) {
      return fail("cluster restart", "node " + std::to_string(index) + ": " + s.error().message);
    }
    std::cout << "  node " << index << " restarted, pid " << node.pid << "\n";
    return kExitOk;
  }
  return fail("cluster restart", "no node " + std::to_string(index) + " in " + dir.string(), kExitUsage);
}

}  // namespace

void register_cluster(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("cluster", "Run a local cluster of vigild nodes on 127.0.0.1 (for trying vigil and for tests).");
  cmd->require_subcommand(1);
  auto dir = std::make_shared<std::string>();
  auto n = std::make_shared<std::size_t>(0), t = std::make_shared<std::size_t>(0);
  auto curve = std::make_shared<std::string>("ristretto255");
  auto* up = cmd->add_subcommand("up",
                                 "Create identities, configs and data folders for N nodes, deal a t-of-n key\n"
                                 "(each share sealed to its node), start the nodes and wait until they are\n"
                                 "healthy. Writes DIR/cluster.json.");
  up->add_option("--dir", *dir, "Folder for the cluster (must not hold one already)")->required();
  up->add_option("--n", *n, "Number of nodes")->required();
  up->add_option("--t", *t, "Threshold")->required();
  up->add_option("--curve", *curve, "ristretto255 (default) or secp256k1")->check(CLI::IsMember({"ristretto255", "secp256k1"}));
  up->callback([=, &exit_code] {
    exit_code = with_curve(parse_curve_name(*curve).value(), [&](auto c) { return cluster_up<decltype(c)>(*dir, *n, *t); });
  });

  auto* status = cmd->add_subcommand("status", "Show each node's health. Exits 1 if any node is down.");
  status->add_option("--dir", *dir, "The cluster folder")->required()->check(CLI::ExistingDirectory);
  status->callback([=, &exit_code] { exit_code = cluster_status(*dir); });

  auto* down = cmd->add_subcommand("down", "Stop every node (SIGTERM, then SIGKILL after 5 s).");
  down->add_option("--dir", *dir, "The cluster folder")->required()->check(CLI::ExistingDirectory);
  down->callback([=, &exit_code] { exit_code = cluster_down(*dir); });

  auto index = std::make_shared<unsigned>(0);
  auto* restart = cmd->add_subcommand("restart", "Start node I again from its data folder (stopping it first if running).");
  restart->add_option("--dir", *dir, "The cluster folder")->required()->check(CLI::ExistingDirectory);
  restart->add_option("--node", *index, "Node index")->required();
  restart->callback([=, &exit_code] { exit_code = cluster_restart(*dir, *index); });
}

}  // namespace vigil::cli
